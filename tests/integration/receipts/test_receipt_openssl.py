"""A receipt verifies with the OpenSSL command line exactly as docs/formats.md says: ``openssl cms
-verify`` prints the canonical JSON, and ``openssl ts -verify`` accepts the token over the signature
value, cut out with ``asn1parse`` or exported by ``bidtool receipt-verify --export-token``."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pki.receipts import issue_receipt, verify_receipt

from support.bidtool_env import openssl
from support.receipts import docs_recipe


def _write_receipt(rpki, alg, fields, tsa, directory: Path) -> Path:
    signer = rpki.receipt[alg]
    der = issue_receipt(fields, key=signer.key, certificate=signer.cert, chain=signer.chain[:1], tsa=tsa)
    path = directory / "receipt.der"
    path.write_bytes(der)
    (directory / "root.pem").write_bytes(rpki.roots[alg].read_bytes())
    (directory / "tsa-root.pem").write_bytes(rpki.tsa_root.read_bytes())
    return path


@pytest.mark.parametrize("alg", ["rsa", "ec"])
def test_openssl_cms_verify_prints_the_canonical_json(rpki, fields, tsa, tmp_path, alg):
    receipt = _write_receipt(rpki, alg, fields, tsa, tmp_path)
    proc = openssl("cms", "-verify", "-inform", "DER", "-in", receipt, "-CAfile", tmp_path / "root.pem",
                   "-purpose", "any", "-out", tmp_path / "content.json")
    assert proc.returncode == 0, proc.stderr
    assert b"CMS Verification successful" in proc.stderr
    assert (tmp_path / "content.json").read_bytes() == fields.canonical()
    # without -purpose any OpenSSL refuses the receipt-only EKU for S/MIME, as the docs say
    proc = openssl("cms", "-verify", "-inform", "DER", "-in", receipt, "-CAfile", tmp_path / "root.pem",
                   "-out", tmp_path / "again.json")
    assert proc.returncode != 0 and b"unsuitable certificate purpose" in proc.stderr


@pytest.mark.parametrize("alg", ["rsa", "ec", "sm2"])
def test_docs_recipe_verifies_signature_role_and_token(rpki, fields, tsa, tmp_path, alg):
    """The documented commands, run by bash as written (SM2: the token part; OpenSSL has no GM/T 0010)."""
    _write_receipt(rpki, alg, fields, tsa, tmp_path)
    recipe = docs_recipe()
    if alg == "sm2":
        recipe = "# 3." + recipe.split("# 3.", 1)[1]
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=tmp_path, capture_output=True, timeout=120)
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert out.rstrip().endswith("Verification: OK")
    if alg != "sm2":
        assert fields.canonical().decode() in out
        assert re.search(r"Extended Key Usage: critical\s+2\.25\.72332915291831301101814497930267910821\.5\.1", out)
    # the pieces the recipe cut out are the signature value and the token the verifier checks
    check = verify_receipt((tmp_path / "receipt.der").read_bytes(), trust_roots=[rpki.root_cert(alg)],
                           tsa_roots=[rpki.root_cert("rsa")])
    assert check.ok, check.reasons
    assert len((tmp_path / "signature.bin").read_bytes()) < 600


def test_openssl_ts_refuses_the_token_over_other_data(rpki, fields, tsa, tmp_path):
    _write_receipt(rpki, "rsa", fields, tsa, tmp_path)
    recipe = ("# 3." + docs_recipe().split("# 3.", 1)[1]).replace("openssl dgst -sha256 -r signature.bin",
                                                         "openssl dgst -sha256 -r receipt.asn1")
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=tmp_path, capture_output=True, timeout=120)
    assert proc.returncode != 0 and b"Verification: FAILED" in proc.stdout


def test_bidtool_exports_the_token_for_openssl_ts(rpki, fields, tsa, tmp_path, bidtool):
    _write_receipt(rpki, "rsa", fields, tsa, tmp_path)
    r = bidtool("receipt-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "--export-token", "token.der",
                "receipt.der")
    assert r.code == 0, r.err
    imprint = re.search(r"timestamp imprint \(SHA-256 of the signature value\): ([0-9a-f]{64})", r.out).group(1)
    for extra in ([], ["-untrusted", rpki.tsa.cert_path]):
        proc = openssl("ts", "-verify", "-in", tmp_path / "token.der", "-token_in", "-digest", imprint,
                       "-CAfile", tmp_path / "tsa-root.pem", *extra)
        assert proc.returncode == 0 and b"Verification: OK" in proc.stdout, proc.stderr
    text = openssl("ts", "-reply", "-in", tmp_path / "token.der", "-token_in", "-text").stdout.decode()
    assert "Message data:" in text and "Policy OID: 2.25.72332915291831301101814497930267910821.9.1" in text
    # an existing file is not overwritten without --force
    again = bidtool("receipt-verify", "--ca", "root.pem", "--export-token", "token.der", "receipt.der")
    assert again.code == 1 and "--force" in again.err
    assert bidtool("receipt-verify", "--ca", "root.pem", "--ca", "tsa-root.pem", "--export-token", "token.der",
                   "--force", "receipt.der").code == 0
