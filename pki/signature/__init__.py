"""Digital signatures: CMS SignedData (RFC 5652; RSA PKCS#1 v1.5 / RSASSA-PSS, ECDSA, SHA-256) and
GM/T 0010 signedData (SM2 with SM3, standard flavour with Z, and GmSSL's flavour on request).

    der = sign(b"...", key=FileKey(k), certificate=cert, chain=[ca], signing_time=when)
    result = verify(der, trust_roots=[root])
    result.ok, result.flavour, result.signer_subject, result.reasons
    for signer in result.signers:      # every SignerInfo is verified; ok only when all hold
        signer.ok, signer.signer_subject, signer.flavour, signer.chain, signer.timestamp, signer.reasons

Timestamps (RFC 3161) are added with :func:`pki.timestamps.add_timestamp`; :func:`verify` checks an
attached token by itself (:mod:`pki.signature.timestamp`, also :func:`verify_timestamp_token` for a token alone).
"""
from pki.signature.cms import sign, sign_to_file
from pki.signature.errors import (SignatureError, SignatureFormatError, SigningError, TimestampError,
                                  TimestampMismatch)
from pki.signature.signed_data import load_signed_data
from pki.signature.timestamp import TimestampInfo, verify_timestamp_token
from pki.signature.verify import SignatureVerification, SignerVerification, verify

FLAVOURS = ("cms", "gm-standard", "gm-gmssl")

__all__ = ["sign", "sign_to_file", "verify", "SignatureVerification", "SignerVerification", "load_signed_data", "FLAVOURS",
           "SignatureError", "SignatureFormatError", "SigningError", "TimestampError", "TimestampMismatch",
           "TimestampInfo", "verify_timestamp_token"]
