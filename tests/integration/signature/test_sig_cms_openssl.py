"""CMS SignedData (RSA PKCS#1 v1.5, RSA-PSS, ECDSA) against the real openssl command line, both ways."""
from __future__ import annotations

import os
import tracemalloc

import pytest
from asn1crypto import cms

from pki.signature import SigningError, sign, sign_to_file, verify
from pki.signature import load_signed_data

DOC = "投标回执 receipt\nline two\r\nend".encode()


@pytest.fixture()
def doc(tmp_path):
    path = tmp_path / "doc.bin"
    path.write_bytes(DOC)
    return path


def _chain(request, name):
    return request.getfixturevalue(f"{name}_chain")


def _openssl_verify(run_openssl, attime, chain, sig_path, content=None, inform="DER"):
    args = ["cms", "-verify", "-inform", inform, "-in", sig_path, "-CAfile", chain.root_pem, "-attime", attime,
            "-purpose", "any"]
    if content is not None:
        args += ["-content", content, "-binary"]
    proc = run_openssl(*args)
    assert b"Verification successful" in proc.stderr
    return proc.stdout


CASES = [("rsa", False), ("rsa", True), ("ec", False)]


@pytest.mark.parametrize("detached", [False, True], ids=["attached", "detached"])
@pytest.mark.parametrize("alg,pss", CASES, ids=["rsa-pkcs1v15", "rsa-pss", "ecdsa"])
def test_openssl_accepts_what_we_sign(request, run_openssl, attime, now, tmp_path, doc, alg, pss, detached):
    chain = _chain(request, alg)
    der = sign(doc, key=chain.key, certificate=chain.leaf, chain=[chain.intermediate], detached=detached, pss=pss,
               signing_time=now)
    sig = tmp_path / "sig.der"
    sig.write_bytes(der)
    out = _openssl_verify(run_openssl, attime, chain, sig, content=doc if detached else None)
    assert out == DOC
    result = verify(der, content=doc if detached else None, trust_roots=[chain.root], at=now)
    assert result.ok, result.reasons
    assert result.flavour == "cms" and result.detached is detached
    assert result.signing_time == now and result.digest_algorithm == "sha256"
    assert result.signer_certificate.dump() == chain.leaf.dump()
    assert result.chain.ok and len(result.chain.chain) == 3
    si = load_signed_data(der)[1]["signer_infos"][0]
    types = {a["type"].native for a in si["signed_attrs"]}
    assert types == {"content_type", "message_digest", "signing_time", "signing_certificate_v2"}
    expected_alg = {("rsa", False): "rsassa_pkcs1v15", ("rsa", True): "rsassa_pss", ("ec", False): "sha256_ecdsa"}
    assert si["signature_algorithm"]["algorithm"].native == expected_alg[(alg, pss)]
    if pss:
        params = si["signature_algorithm"]["parameters"]
        assert params["hash_algorithm"]["algorithm"].native == "sha256"
        assert params["mask_gen_algorithm"]["parameters"]["algorithm"].native == "sha256"
        assert params["salt_length"].native == 32


def test_openssl_reads_ess_signing_certificate_v2_and_pem(run_openssl, attime, now, tmp_path, rsa_chain):
    text = sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf, chain=[rsa_chain.intermediate],
                signing_time=now, pem_armor=True)
    assert text.startswith(b"-----BEGIN CMS-----")
    path = tmp_path / "sig.pem"
    path.write_bytes(text)
    _openssl_verify(run_openssl, attime, rsa_chain, path, inform="PEM")
    printed = run_openssl("cms", "-cmsout", "-print", "-inform", "PEM", "-in", path).stdout.decode()
    assert "id-smime-aa-signingCertificateV2" in printed and "signingTime" in printed
    assert verify(text, trust_roots=[rsa_chain.root], at=now).ok


OPENSSL_SIGN = [
    ("rsa", ["-nodetach"], "DER", False),
    ("rsa", ["-nodetach", "-binary"], "PEM", False),
    ("rsa", ["-binary"], "DER", True),
    ("rsa", ["-binary"], "PEM", True),
    ("rsa", ["-nodetach", "-binary", "-keyopt", "rsa_padding_mode:pss"], "DER", False),
    ("rsa", ["-binary", "-keyopt", "rsa_padding_mode:pss"], "PEM", True),
    ("ec", ["-nodetach"], "PEM", False),
    ("ec", ["-binary"], "DER", True),
    ("ec", ["-nodetach", "-binary", "-stream"], "DER", False),   # BER, indefinite lengths
]


@pytest.mark.parametrize("alg,flags,outform,detached", OPENSSL_SIGN,
                         ids=[f"{a}-{' '.join(f)}-{o}" for a, f, o, _ in OPENSSL_SIGN])
def test_we_accept_what_openssl_signs(request, run_openssl, now, tmp_path, doc, alg, flags, outform, detached):
    chain = _chain(request, alg)
    out = tmp_path / "sig.out"
    run_openssl("cms", "-sign", "-in", doc, "-signer", chain.leaf_pem, "-inkey", chain.key_pem, "-certfile",
                chain.intermediate_pem, "-md", "sha256", "-outform", outform, "-out", out, *flags)
    data = out.read_bytes()
    result = verify(data, content=doc if detached else None, trust_roots=[chain.root], at=now)
    assert result.ok, result.reasons
    assert result.signer_subject == chain.leaf.subject.human_friendly
    assert result.detached is detached
    if not detached and "-binary" in flags:
        assert result.content == DOC
    elif not detached:
        assert result.content == DOC.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # S/MIME canonical text
    if "rsa_padding_mode:pss" in flags:
        assert result.signature_algorithm == "rsassa_pss"
    # the same bytes with a changed content are refused
    if detached:
        assert verify(data, content=DOC + b"x", trust_roots=[chain.root], at=now).codes == ("digest_mismatch",)


def test_detached_large_file_is_streamed(run_openssl, attime, now, tmp_path, ec_chain):
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        for _ in range(24):
            fh.write(os.urandom(1024 * 1024))
    tracemalloc.start()
    try:
        der = sign(big, key=ec_chain.key, certificate=ec_chain.leaf, chain=[ec_chain.intermediate], detached=True,
                   signing_time=now)
        result = verify(der, content=big, trust_roots=[ec_chain.root], at=now)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.ok, result.reasons
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a 24 MiB file: not streamed"
    sig = tmp_path / "big.sig"
    sig.write_bytes(der)
    run_openssl("cms", "-verify", "-inform", "DER", "-in", sig, "-content", big, "-binary", "-CAfile",
                ec_chain.root_pem, "-attime", attime, "-out", os.devnull)


def test_attached_large_file_streams_to_file(run_openssl, attime, now, tmp_path, rsa_chain):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(5 * 1024 * 1024 + 3))
    out = tmp_path / "big.p7"
    tracemalloc.start()
    try:
        sign_to_file(big, out, key=rsa_chain.key, certificate=rsa_chain.leaf, chain=[rsa_chain.intermediate],
                     signing_time=now)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * 1024 * 1024
    extracted = tmp_path / "extracted"
    run_openssl("cms", "-verify", "-inform", "DER", "-in", out, "-CAfile", rsa_chain.root_pem, "-attime", attime,
                "-out", extracted)
    assert extracted.read_bytes() == big.read_bytes()


def test_wrong_trust_root_gives_chain_reason(now, rsa_chain, other_chain):
    der = sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf, chain=[rsa_chain.intermediate], signing_time=now)
    result = verify(der, trust_roots=[other_chain.root], at=now)
    assert not result.ok
    assert "untrusted_issuer" in result.codes
    assert not result.chain.ok
    assert "bad_signature" not in result.codes  # the signature itself is fine


def test_expired_at_validation_time(now, rsa_chain):
    der = sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf, chain=[rsa_chain.intermediate], signing_time=now)
    result = verify(der, trust_roots=[rsa_chain.root], at=now.replace(year=2037))
    assert not result.ok and "expired" in result.codes


def test_detached_without_content_is_refused(now, ec_chain):
    der = sign(DOC, key=ec_chain.key, certificate=ec_chain.leaf, detached=True, signing_time=now)
    result = verify(der, trust_roots=[ec_chain.root], intermediates=[ec_chain.intermediate], at=now)
    assert not result.ok and result.codes[0] == "content_missing"


def test_signing_errors(now, rsa_chain, ec_chain):
    with pytest.raises(SigningError):
        sign(DOC, key=rsa_chain.key, certificate=ec_chain.leaf, signing_time=now)      # key not the cert's
    with pytest.raises(SigningError):
        sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf)                        # no signing time
    with pytest.raises(SigningError):
        sign(DOC, key=ec_chain.key, certificate=ec_chain.leaf, pss=True, signing_time=now)
    with pytest.raises(SigningError):
        sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf, gmssl_compat=True, signing_time=now)


def test_clock_gives_signing_time(now, ec_chain, clock):
    der = sign(DOC, key=ec_chain.key, certificate=ec_chain.leaf, clock=clock)
    si = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    times = [a["values"][0].native for a in si["signed_attrs"] if a["type"].native == "signing_time"]
    assert times == [now]


def test_without_signed_attributes(run_openssl, attime, now, tmp_path, rsa_chain):
    der = sign(DOC, key=rsa_chain.key, certificate=rsa_chain.leaf, chain=[rsa_chain.intermediate],
               signed_attributes=False)
    path = tmp_path / "s.der"
    path.write_bytes(der)
    _openssl_verify(run_openssl, attime, rsa_chain, path)
    result = verify(der, trust_roots=[rsa_chain.root], at=now)
    assert result.ok and result.signing_time is None
