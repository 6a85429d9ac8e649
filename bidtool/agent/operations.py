"""What the agent does, one function per endpoint: each takes a parsed request, uses a key for one
operation and returns the JSON answer. HTTP is :mod:`bidtool.agent.server`'s business."""
from __future__ import annotations

import io
from typing import Any, Protocol

from asn1crypto import cms, x509

from bidding.opening.statement import build_key_release, sign_key_release
from bidtool.agent.errors import BadRequest, UnsuitableCertificate
from bidtool.agent.keystore import Credential, Keystore
from bidtool.agent.pins import change_token_pin
from bidtool.agent.protocol import (
    AGENT_VERSION,
    CAPABILITIES,
    DIGESTS,
    MAX_SIGN_DATA,
    PROTOCOL_VERSION,
    PinRequest,
    SignRequest,
    UnwrapRequest,
    b64,
    certificate_id,
    describe_certificate,
)
from pki import envelope, signature
from pki.certs import CertificateError, key_algorithm, load_certificate, validity
from pki.envelope.recipients import check_recipient
from pki.errors import ASN1_ERRORS
from pki.signature.prehashed import sign_digest

#: keyUsage bits that allow a signature over a document.
SIGNING_USAGE = {"digital_signature", "non_repudiation"}


class Clock(Protocol):
    def now(self): ...


class Operations:
    """The agent's use cases over a :class:`Keystore`, with the signing time from ``clock``."""

    def __init__(self, keystore: Keystore, clock: Clock):
        self.keystore = keystore
        self.clock = clock

    def info(self) -> dict[str, Any]:
        return {"agent": "ebid-agent", "agent_version": AGENT_VERSION, "protocol_version": PROTOCOL_VERSION,
                "capabilities": list(CAPABILITIES), "digest_algorithms": list(DIGESTS),
                "max_sign_data": MAX_SIGN_DATA}

    def certificates(self) -> dict[str, Any]:
        tokens, creds = self.keystore.scan()
        return {"tokens": [t.to_json() for t in tokens],
                "certificates": [{**describe_certificate(c.certificate), "location": c.location()} for c in creds]}

    def sign(self, req: SignRequest) -> dict[str, Any]:
        cred = self.keystore.find(req.certificate)
        cert = cred.certificate
        _check_signing_usage(cert)
        algorithm = key_algorithm(cert)
        if req.digest_algorithm is not None and algorithm not in DIGESTS[req.digest_algorithm][1]:
            needed = next(name for name, (_, algs) in DIGESTS.items() if algorithm in algs)
            raise BadRequest(f"{algorithm.upper()} 证书须用 {needed} 摘要 (a {algorithm} certificate signs "
                             f"{needed} digests, not {req.digest_algorithm})")
        chain = self.keystore.chain_for(cert)
        when = self.clock.now()
        with self.keystore.key(cred, req.pin) as key:
            if req.data is not None:
                der = signature.sign(req.data, key=key, certificate=cert, chain=chain, detached=True,
                                     signing_time=when)
            else:
                der = sign_digest(req.digest, key=key, certificate=cert, chain=chain,
                                  signing_time=None if req.pades else when)
        return {"signature": b64(der), "format": "gm-t-0010" if algorithm == "sm2" else "cms",
                "detached": True, "digest_algorithm": "sm3" if algorithm == "sm2" else "sha256",
                "signing_time": None if req.pades else when.replace(microsecond=0).isoformat(),
                "certificate": cred.id}

    def unwrap(self, req: UnwrapRequest) -> dict[str, Any]:
        cred = self.keystore.find(req.certificate)
        transport = self._transport_certificate(req.transport_certificate)
        recipient_info = _recipient_info(req.recipient_info)
        envelope.find_recipient_info([recipient_info], cred.certificate)    # before the PIN is used
        signer = self.keystore.find(req.sign.certificate) if req.sign is not None else None
        if signer is not None:
            _check_signing_usage(signer.certificate)                        # before the PIN is used too
        with self.keystore.key(cred, req.pin) as key:
            content_key = envelope.unwrap_content_key(recipient_info, key, cred.certificate)
        out = io.BytesIO()
        info = envelope.encrypt_stream(io.BytesIO(content_key), out, recipients=[transport], size=len(content_key))
        sealed = out.getvalue()
        answer = {"envelope": b64(sealed), "format": info.format, "cipher": info.cipher,
                  "certificate": cred.id, "transport_certificate": certificate_id(transport)}
        if signer is not None and req.sign is not None and req.context is not None:
            answer.update(self._sign_release(req, signer, cred, transport, sealed))
        return answer

    def _sign_release(self, req: UnwrapRequest, signer: Credential, cred: Credential, transport: x509.Certificate,
                      sealed: bytes) -> dict[str, Any]:
        """The key-release statement of the opening (docs/opening.md), signed by ``signer``."""
        when = self.clock.now()
        statement = build_key_release(context=req.context, envelope=sealed, recipient_info=req.recipient_info,
                                      unwrapped_with=cred.certificate, opening_certificate=transport, signed_at=when)
        with self.keystore.key(signer, req.sign.pin or req.pin) as key:
            der = sign_key_release(statement, key=key, certificate=signer.certificate,
                                   chain=self.keystore.chain_for(signer.certificate), signed_at=when)
        return {"statement": b64(statement), "signature": b64(der), "signer": signer.id}

    def change_pin(self, req: PinRequest) -> dict[str, Any]:
        if req.certificate is not None:
            cred: Credential = self.keystore.find(req.certificate)
            if cred.token is None:
                raise UnsuitableCertificate("此证书的私钥在密钥文件中，不在令牌上；密钥文件的口令由其持有人用备份重设 "
                                            "(this certificate's key is in a key file, not on a token: its owner "
                                            "re-encrypts the key file to change the password)")
            token = cred.token
        else:
            token = self.keystore.find_token(req.token or "")
        change_token_pin(token.uri, req.old_pin, req.new_pin)
        return {"token": token.label, "token_serial": token.serial, "changed": True}

    def _transport_certificate(self, der: bytes) -> x509.Certificate:
        try:
            cert = load_certificate(der)
        except CertificateError as exc:
            raise BadRequest(f"transport_certificate 无法解析 (transport_certificate is unreadable: {exc})") from None
        check_recipient(cert)       # its keyUsage must allow key transport / key agreement
        not_before, not_after = validity(cert)
        if not not_before <= self.clock.now() <= not_after:
            raise UnsuitableCertificate("transport_certificate 不在有效期内 (transport_certificate is not "
                                        f"valid now: {not_before:%Y-%m-%d %H:%M} – {not_after:%Y-%m-%d %H:%M} UTC)")
        return cert


def _check_signing_usage(cert: x509.Certificate) -> None:
    usage = cert.key_usage_value
    if usage is not None and not SIGNING_USAGE & set(usage.native):
        raise UnsuitableCertificate("此证书不能用于签名，可能是加密证书 (this certificate's keyUsage allows no "
                                    "signature: is it the encryption certificate?)")


def _recipient_info(der: bytes) -> cms.RecipientInfo:
    try:
        ri = cms.RecipientInfo.load(der, strict=True)
        _ = ri.native   # parse it all now: a damaged one is the page's mistake, not a bug
    except ASN1_ERRORS:
        raise BadRequest("recipient_info 不是有效的 RecipientInfo (recipient_info is not a DER RecipientInfo)") from None
    if ri.name not in ("ktri", "kari"):
        raise BadRequest(f"不支持的 RecipientInfo 类型 (unsupported RecipientInfo choice {ri.name})")
    return ri
