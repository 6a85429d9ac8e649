"""bidtool as a bidder uses it, with the OpenSSL command line as the independent second opinion."""
from __future__ import annotations

import json
import os

import pytest

from support.bidtool_env import CODE, OTHER_CODE, openssl


@pytest.fixture
def bid_files(tmp_path):
    tech = tmp_path / "技术标.pdf"
    tech.write_bytes(os.urandom(300_000))
    quote = tmp_path / "quote.txt"
    quote.write_text("报价：1234567.80 元\n", encoding="utf-8")
    return [tech, quote]


def _key_args(party, alg, purpose):
    return ["--key", party.keys[alg, purpose], "--pass-env", "BID_PASS", "--cert", party.certs[alg, purpose]]


# -- envelopes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("padding", ["oaep", "pkcs1v15"])
def test_encrypt_rsa_and_ec_recipients_openssl_decrypts(bidtool, supplier, other, pem_keys, tmp_path, padding):
    plain = tmp_path / "plain.bin"
    plain.write_bytes(os.urandom(100_001))
    r = bidtool("encrypt", "--to", supplier.certs["rsa", "encryption"], "--to", supplier.certs["ec", "encryption"],
                "--to", other.certs["rsa", "encryption"], "--rsa-padding", padding, plain, "env.der")
    assert r.code == 0, r.err
    assert "3 recipient(s)" in r.out
    for alg in ("rsa", "ec"):
        out = tmp_path / f"out-{alg}"
        proc = openssl("cms", "-decrypt", "-inform", "DER", "-in", tmp_path / "env.der", "-recip",
                       supplier.certs[alg, "encryption"], "-inkey", pem_keys[alg, "encryption"], "-out", out)
        assert proc.returncode == 0, proc.stderr
        assert out.read_bytes() == plain.read_bytes()


@pytest.mark.parametrize("cipher", ["-aes-256-gcm", "-aes-256-cbc"])
def test_decrypts_openssl_stream_envelope(bidtool, supplier, tmp_path, cipher):
    plain = tmp_path / "plain.bin"
    plain.write_bytes(os.urandom(70_000))
    proc = openssl("cms", "-encrypt", "-stream", "-binary", cipher, "-outform", "PEM", "-in", plain,
                   "-out", tmp_path / "env.pem", supplier.certs["rsa", "encryption"])
    assert proc.returncode == 0, proc.stderr
    r = bidtool("decrypt", *_key_args(supplier, "rsa", "encryption"), "env.pem", "out.bin")
    assert r.code == 0, r.err
    assert (tmp_path / "out.bin").read_bytes() == plain.read_bytes()


def test_wrong_key_says_not_addressed_and_writes_nothing(bidtool, supplier, tmp_path):
    (tmp_path / "p").write_bytes(b"bid")
    assert bidtool("encrypt", "--to", supplier.certs["rsa", "encryption"], "p", "env").code == 0
    r = bidtool("decrypt", *_key_args(supplier, "rsa", "signing"), "env", "out")
    assert r.code == 2
    assert "not addressed to this certificate" in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_tampered_envelope_is_refused_in_one_line(bidtool, supplier, tmp_path):
    (tmp_path / "p").write_bytes(os.urandom(5000))
    assert bidtool("encrypt", "--to", supplier.certs["ec", "encryption"], "p", "env").code == 0
    data = bytearray((tmp_path / "env").read_bytes())
    data[-100] ^= 0x01
    (tmp_path / "env").write_bytes(bytes(data))
    r = bidtool("decrypt", *_key_args(supplier, "ec", "encryption"), "env", "out")
    assert r.code == 2 and "Traceback" not in r.err
    assert not (tmp_path / "out").exists()


def test_sm2_envelope_and_inspect(bidtool, supplier, tmp_path):
    (tmp_path / "p").write_bytes(os.urandom(10_000))
    r = bidtool("encrypt", "--to", supplier.certs["sm2", "encryption"], "p", "env")
    assert r.code == 0 and "sm4-cbc" in r.out
    r = bidtool("inspect", "env")
    assert "gm-envelopedData" in r.out and "sm2-encrypt" in r.out and "NOT authenticated" in r.out
    r = bidtool("decrypt", *_key_args(supplier, "sm2", "encryption"), "env", "out")
    assert r.code == 0, r.err
    assert (tmp_path / "out").read_bytes() == (tmp_path / "p").read_bytes()


def test_gmssl_vector_envelope_decrypts(bidtool, sm2_vectors, tmp_path):
    r = bidtool("decrypt", "--key", sm2_vectors / "bidder_key.pem", "--pass-env", "VEC",
                "--cert", sm2_vectors / "bidder_cert.pem", sm2_vectors / "env10k.pem", "out",
                extra_env={"VEC": "1234"})
    assert r.code == 0, r.err
    assert (tmp_path / "out").read_bytes() == (sm2_vectors / "plain10k.bin").read_bytes()


# -- signatures -----------------------------------------------------------------------------------
@pytest.mark.parametrize("alg,extra", [("rsa", []), ("rsa", ["--pss"]), ("ec", [])])
@pytest.mark.parametrize("detached", [False, True])
def test_sign_openssl_verifies(bidtool, supplier, tmp_path, alg, extra, detached):
    doc = tmp_path / "承诺书.txt"
    doc.write_text("本单位承诺所提交材料真实有效。\n", encoding="utf-8")
    args = ["--detached"] if detached else []
    r = bidtool("sign", *_key_args(supplier, alg, "signing"), "--chain", supplier.inters[alg], *args, *extra,
                doc, "doc.p7s")
    assert r.code == 0, r.err
    cmd = ["cms", "-verify", "-inform", "DER", "-in", tmp_path / "doc.p7s", "-CAfile", supplier.roots[alg],
           "-purpose", "any", "-out", tmp_path / "verified"]
    if detached:
        cmd += ["-content", doc, "-binary"]
    proc = openssl(*cmd)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "verified").read_bytes() == doc.read_bytes()
    r = bidtool("verify", "--ca", supplier.roots[alg], *(["--content", doc] if detached else []), "doc.p7s")
    assert r.code == 0 and "Verification successful" in r.out, r.err


def test_verify_openssl_signature_and_reject_tampered_content(bidtool, supplier, pem_keys, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"quotation 100\n")
    proc = openssl("cms", "-sign", "-binary", "-in", doc, "-signer", supplier.certs["ec", "signing"], "-inkey",
                   pem_keys["ec", "signing"], "-certfile", supplier.inters["ec"], "-outform", "PEM",
                   "-out", tmp_path / "doc.pem")
    assert proc.returncode == 0, proc.stderr
    r = bidtool("verify", "--ca", supplier.roots["ec"], "--content", doc, "doc.pem")
    assert r.code == 0, r.err
    doc.write_bytes(b"quotation 900\n")
    r = bidtool("verify", "--ca", supplier.roots["ec"], "--content", doc, "doc.pem")
    assert r.code == 2 and "NOT valid" in r.err


def test_sm2_signature_both_flavours(bidtool, supplier, tmp_path):
    (tmp_path / "doc").write_bytes(b"hello bid")
    for extra, flavour in (([], "gm-standard"), (["--gmssl-compat"], "gm-gmssl")):
        r = bidtool("sign", *_key_args(supplier, "sm2", "signing"), "--chain", supplier.inters["sm2"], *extra,
                    "doc", f"{flavour}.sig")
        assert r.code == 0, r.err
        r = bidtool("verify", "--ca", supplier.roots["sm2"], f"{flavour}.sig")
        assert r.code == 0 and flavour in r.out, r.err


def test_untrusted_root_is_refused(bidtool, supplier, tmp_path):
    (tmp_path / "doc").write_bytes(b"x")
    assert bidtool("sign", *_key_args(supplier, "rsa", "signing"), "doc", "doc.sig").code == 0
    r = bidtool("verify", "--ca", supplier.roots["ec"], "doc.sig")
    assert r.code == 2 and "NOT valid" in r.err


# -- bid packages ---------------------------------------------------------------------------------
@pytest.mark.parametrize("alg", ["rsa", "ec", "sm2"])
def test_pack_unpack_round_trip(bidtool, supplier, bid_files, tmp_path, alg):
    r = bidtool("pack", *_key_args(supplier, alg, "signing"), "--enc-cert", supplier.certs[alg, "encryption"],
                "--chain", supplier.inters[alg], "--tender", "GD-2026-001", "--price", "1234567.80",
                "-o", "bid.env", *bid_files)
    assert r.code == 0, r.err
    assert CODE in r.out
    r = bidtool("unpack", *_key_args(supplier, alg, "encryption"), "--ca", supplier.roots[alg],
                "--expect-tender", "GD-2026-001", "bid.env", "opened")
    assert r.code == 0, r.err
    for f in bid_files:
        assert (tmp_path / "opened" / "files" / f.name).read_bytes() == f.read_bytes()
    manifest = json.loads((tmp_path / "opened" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["bidder"]["credit_code"] == CODE
    assert manifest["price"] == {"amount": "1234567.80", "currency": "CNY"}
    assert {f["name"] for f in manifest["files"]} == {f.name for f in bid_files}


def test_pack_declares_the_quotation_items_read_out_at_the_opening(bidtool, supplier, bid_files, tmp_path):
    r = bidtool("pack", *_key_args(supplier, "ec", "signing"), "--enc-cert", supplier.certs["ec", "encryption"],
                "--chain", supplier.inters["ec"], "--tender", "GD-2026-001", "--price", "1234567.80",
                "--item", "交货期=合同签订后30日", "--item", "质保期=3年", "-o", "bid.env", *bid_files)
    assert r.code == 0, r.err
    r = bidtool("unpack", *_key_args(supplier, "ec", "encryption"), "--ca", supplier.roots["ec"], "bid.env", "opened")
    assert r.code == 0, r.err
    manifest = json.loads((tmp_path / "opened" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["items"] == [{"name": "交货期", "value": "合同签订后30日"}, {"name": "质保期", "value": "3年"}]
    enc = ("--enc-cert", supplier.certs["ec", "encryption"])
    for bad in (["交货期"], ["交货期=30\n日"], ["交货期=30日", "交货期=40日"]):     # no "=", a control character, twice
        r = bidtool("pack", *_key_args(supplier, "ec", "signing"), *enc, "--tender", "T-1", "--price", "1",
                    *[arg for item in bad for arg in ("--item", item)], "-o", "bad.env", *bid_files)
        assert r.code == 1 and len(r.err.strip().splitlines()) == 1 and "item" in r.err, r.err
    assert not (tmp_path / "bad.env").exists()


def test_package_holds_no_plaintext(bidtool, supplier, tmp_path):
    secret = tmp_path / "quote.txt"
    secret.write_bytes(b"SECRET-PRICE-98765 " * 100)
    assert bidtool("pack", *_key_args(supplier, "rsa", "signing"), "--enc-cert", supplier.certs["rsa", "encryption"],
                   "--tender", "T-1", "--price", "1", "-o", "bid.env", secret).code == 0
    blob = (tmp_path / "bid.env").read_bytes()
    assert b"SECRET-PRICE" not in blob and b"manifest.json" not in blob
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bid.env", "quote.txt"]


def test_bidder_must_match_certificate(bidtool, supplier, bid_files):
    r = bidtool("pack", *_key_args(supplier, "rsa", "signing"), "--bidder", OTHER_CODE, "--tender", "T-1",
                "--price", "1", "-o", "bid.env", *bid_files)
    assert r.code == 1 and OTHER_CODE in r.err


def test_unpack_with_wrong_tender_or_untrusted_signer_fails(bidtool, supplier, bid_files, tmp_path):
    assert bidtool("pack", *_key_args(supplier, "rsa", "signing"), "--enc-cert", supplier.certs["rsa", "encryption"],
                   "--chain", supplier.inters["rsa"], "--tender", "T-1", "--price", "1", "-o", "bid.env", *bid_files).code == 0
    r = bidtool("unpack", *_key_args(supplier, "rsa", "encryption"), "--ca", supplier.roots["rsa"],
                "--expect-tender", "T-2", "bid.env", "o1")
    assert r.code != 0 and "T-2" in r.err
    assert not (tmp_path / "o1" / "files").exists()
    r = bidtool("unpack", *_key_args(supplier, "rsa", "encryption"), "--ca", supplier.roots["sm2"], "bid.env", "o2")
    assert r.code == 2 and "signature" in r.err


def test_unencrypted_or_bad_price_input(bidtool, supplier, bid_files):
    r = bidtool("pack", *_key_args(supplier, "rsa", "signing"), "--enc-cert", supplier.certs["rsa", "encryption"],
                "--tender", "T-1", "--price", "-5", "-o", "b", *bid_files)
    assert r.code == 1 and "price" in r.err
    r = bidtool("inspect", bid_files[1])
    assert r.code == 1 and "neither an envelope nor a signature" in r.err


def test_password_never_on_command_line(bidtool, supplier, tmp_path):
    (tmp_path / "p").write_bytes(b"x")
    r = bidtool("decrypt", "--key", supplier.keys["rsa", "encryption"], "--pass-env", "NOT_SET",
                "--cert", supplier.certs["rsa", "encryption"], "p", "out")
    assert r.code == 1 and "NOT_SET" in r.err
    r = bidtool("decrypt", "--key", supplier.keys["rsa", "encryption"], "--pass-env", "BID_PASS",
                "--cert", supplier.certs["rsa", "encryption"], "p", "out", extra_env={"BID_PASS": "wrong"})
    assert r.code == 1 and "password" in r.err


def test_refused_recipient_is_reported_as_such_not_as_a_changed_file(bidtool, supplier, bid_files, tmp_path):
    """An envelope error while sealing (here: SM2 mixed with RSA recipients) keeps its own reason;
    only a file that really changed under the packer is reported as one."""
    r = bidtool("pack", *_key_args(supplier, "rsa", "signing"), "--enc-cert", supplier.certs["rsa", "encryption"],
                "--to", supplier.certs["sm2", "encryption"], "--tender", "T-1", "--price", "1", "-o", "bid.env",
                *bid_files)
    assert r.code != 0 and "Traceback" not in r.err
    assert "changed while it was being packed" not in r.err
    assert "SM2" in r.err or "sm2" in r.err, r.err
    assert not (tmp_path / "bid.env").exists()
