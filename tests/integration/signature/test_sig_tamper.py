"""Tampering with any byte of a signature, its content, signed attributes or certificates is caught:
``ok=False`` with a specific reason, or :class:`SignatureFormatError` for bytes that no longer parse.
Never a raw traceback and never ``ok=True``."""
from __future__ import annotations

import pytest
from asn1crypto import cms

from pki.signature import SignatureFormatError, sign, verify
from pki.timestamps import add_timestamp

DOC = b"contract text: price 1,000,000 CNY"


def _outcome(data: bytes, **kwargs) -> str:
    try:
        result = verify(data, **kwargs)
    except SignatureFormatError:
        return "format-error"
    return "ok" if result.ok else "refused:" + ",".join(result.codes)


def _locate(der: bytes, part: bytes) -> int:
    at = der.find(part)
    assert at > 0
    return at


@pytest.mark.parametrize("alg", ["rsa", "ec", "sm2"])
def test_every_sampled_byte_flip_is_caught(request, now, alg):
    chain = request.getfixturevalue(f"{alg}_chain")
    der = sign(DOC, key=chain.key, certificate=chain.leaf, chain=[] if alg == "sm2" else [chain.intermediate],
               signing_time=now)
    assert _outcome(der, trust_roots=[chain.root], at=now) == "ok"
    step = max(1, len(der) // 150)
    seen = set()
    for i in list(range(0, len(der), step)) + [len(der) - 1]:
        bad = bytearray(der)
        bad[i] ^= 0x01
        outcome = _outcome(bytes(bad), trust_roots=[chain.root], at=now)
        assert outcome != "ok", f"flip at byte {i} went unnoticed"
        seen.add(outcome.split(":")[0])
    assert "refused" in seen  # not all of them are mere parse errors


def _parts(der: bytes):
    sd = cms.ContentInfo.load(der)["content"]
    si = sd["signer_infos"][0]
    return sd, si


@pytest.mark.parametrize("alg", ["rsa", "ec"])
def test_specific_reasons(request, now, alg):
    chain = request.getfixturevalue(f"{alg}_chain")
    der = sign(DOC, key=chain.key, certificate=chain.leaf, chain=[chain.intermediate], signing_time=now)
    kw = dict(trust_roots=[chain.root], at=now)
    sd, si = _parts(der)

    content_at = _locate(der, DOC)
    bad = bytearray(der)
    bad[content_at + 10] ^= 0x20
    assert verify(bytes(bad), **kw).codes == ("digest_mismatch",)

    sig = si["signature"].native
    bad = bytearray(der)
    bad[_locate(der, sig) + len(sig) // 2] ^= 0x01
    assert "bad_signature" in verify(bytes(bad), **kw).codes

    time_der = [a for a in si["signed_attrs"] if a["type"].native == "signing_time"][0]["values"][0].dump()
    bad = bytearray(der)
    bad[_locate(der, time_der) + 3] ^= 0x01   # 2026 → 2027, still a valid UTCTime
    result = verify(bytes(bad), **kw)
    assert result.codes == ("bad_signature",)

    leaf_der = chain.leaf.dump()
    tbs_subject = chain.leaf.subject.dump()
    at = _locate(der, leaf_der) + leaf_der.find(tbs_subject) + len(tbs_subject) - 2
    bad = bytearray(der)
    bad[at] ^= 0x01                             # a letter of the signer's CN
    result = verify(bytes(bad), **kw)
    assert not result.ok and ("bad_signature" in result.codes or "signing_certificate_mismatch" in result.codes)


def test_unparseable_input_raises_format_error(now, rsa_chain):
    der = sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf, signing_time=now)
    for data in (b"", b"not a signature", der[:-10], der + b"\x00trailing", b"-----BEGIN CMS-----\n!!\n-----END CMS-----\n"):
        with pytest.raises(SignatureFormatError):
            verify(data, trust_roots=[rsa_chain.root], at=now)
    envelope = cms.ContentInfo({"content_type": "data", "content": b"x"}).dump()
    with pytest.raises(SignatureFormatError):
        verify(envelope, trust_roots=[rsa_chain.root], at=now)


def test_timestamp_bytes_are_covered(now, rsa_chain, tsa_chain, tsa):
    der = add_timestamp(sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf, chain=[rsa_chain.intermediate],
                             signing_time=now), tsa)
    kw = dict(trust_roots=[rsa_chain.root], tsa_trust_roots=[tsa_chain.root], at=now)
    assert _outcome(der, **kw) == "ok"
    sd, si = _parts(der)
    token = si["unsigned_attrs"][0]["values"][0].dump()
    start = _locate(der, token)
    for offset in range(0, len(token), max(1, len(token) // 80)):
        bad = bytearray(der)
        bad[start + offset] ^= 0x01
        assert _outcome(bytes(bad), **kw) != "ok", f"flip in the token at {offset} went unnoticed"
