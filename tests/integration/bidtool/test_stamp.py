"""``bidtool stamp`` and ``bidtool verify`` on PDFs, run as the installed console script: a visible
seal with a key file (RSA, EC, SM2), the cross-page seal, the chain and CRLs embedded (B-LT); the
result judged by ``bidtool verify`` and, for RSA/EC, by ``pdfsig`` as an outside witness (its lines
parsed: it exits 0 on a mismatch)."""
from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pki.devca import DevCA


@pytest.fixture(scope="module")
def seal_png(tmp_path_factory) -> Path:
    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 232, 232), outline=(220, 0, 0, 255), width=10)
    draw.regular_polygon((120, 120, 40), 5, fill=(220, 0, 0, 255))
    path = tmp_path_factory.mktemp("seal") / "seal.png"
    image.save(path)
    return path


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> Path:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1, pageCompression=0)   # text findable below
    for page in range(3):
        c.drawString(72, 770, f"contract page {page + 1} of 3")
        c.showPage()
    c.save()
    path = tmp_path_factory.mktemp("doc") / "contract.pdf"
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture(scope="module")
def crl_files(pki_dir) -> list[Path]:
    ca = DevCA(pki_dir / "state", pki_dir / "anchors")
    ca.publish_crls()
    return sorted((pki_dir / "state" / "crl").glob("*.crl"))


def _stamp(bidtool, supplier, alg, document, seal_png, out, *extra):
    return bidtool("stamp", "--key", supplier.keys[alg, "signing"], "--pass-env", "BID_PASS",
                   "--cert", supplier.certs[alg, "signing"], "--chain", supplier.inters[alg],
                   "--seal", seal_png, *extra, document, out)


def _verify(bidtool, supplier, alg, pdf, crl_files, *extra):
    crls = [a for c in crl_files for a in ("--crl", c)]
    return bidtool("verify", "--ca", supplier.roots[alg], "--untrusted", supplier.inters[alg], *crls, *extra, pdf)


@pytest.mark.parametrize("alg", ["rsa", "ec", "sm2"])
def test_stamp_with_a_key_file_and_verify(bidtool, supplier, alg, document, seal_png, crl_files, tmp_path):
    out = tmp_path / "stamped.pdf"
    crls = [a for c in crl_files for a in ("--crl", c)]
    result = _stamp(bidtool, supplier, alg, document, seal_png, out, "--page", "1", "--cross-page", *crls)
    assert result.code == 0, result.err
    assert "cross-page seal" in result.out and "PAdES B-LT" in result.out
    checked = _verify(bidtool, supplier, alg, out, crl_files)
    assert checked.code == 0, checked.err
    assert "Verification successful: 1 signature(s)" in checked.out
    assert "cross-page seal" in checked.out and "certificate good" in checked.out and alg.upper() in checked.out


@pytest.mark.parametrize("alg", ["rsa", "ec"])
def test_pdfsig_agrees(bidtool, supplier, alg, document, seal_png, tmp_path):
    out = tmp_path / "stamped.pdf"
    assert _stamp(bidtool, supplier, alg, document, seal_png, out).code == 0
    lines = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True, timeout=60).stdout
    assert "Signature Validation: Signature is Valid." in lines, lines


def test_one_changed_byte_is_refused(bidtool, supplier, document, seal_png, crl_files, tmp_path):
    out = tmp_path / "stamped.pdf"
    assert _stamp(bidtool, supplier, "rsa", document, seal_png, out).code == 0
    data = bytearray(out.read_bytes())
    at = data.index(b"contract page 2")
    data[at] ^= 0x20                       # "Contract page 2": inside the signed byte range
    out.write_bytes(bytes(data))
    checked = _verify(bidtool, supplier, "rsa", out, crl_files)
    assert checked.code == 2, checked.out + checked.err
    assert "NOT valid" in checked.err and "NOT valid" in checked.out


def test_a_second_stamp_keeps_the_first_valid(bidtool, supplier, other, document, seal_png, crl_files, tmp_path):
    first, second = tmp_path / "one.pdf", tmp_path / "two.pdf"
    assert _stamp(bidtool, supplier, "rsa", document, seal_png, first, "--cross-page").code == 0
    result = _stamp(bidtool, other, "rsa", first, seal_png, second, "--cross-page", "--x", "100")
    assert result.code == 0, result.err
    checked = _verify(bidtool, supplier, "rsa", second, crl_files)
    assert checked.code == 0, checked.err
    assert "2 signature(s)" in checked.out


def test_refusals(bidtool, supplier, other, document, seal_png, crl_files, tmp_path):
    out = tmp_path / "out.pdf"
    not_pdf = bidtool("stamp", "--key", supplier.keys["rsa", "signing"], "--pass-env", "BID_PASS",
                      "--cert", supplier.certs["rsa", "signing"], "--seal", seal_png, seal_png, out)
    assert not_pdf.code == 1 and "不是 PDF" in not_pdf.err and not out.exists()
    wrong_key = bidtool("stamp", "--key", other.keys["rsa", "signing"], "--pass-env", "BID_PASS",
                        "--cert", supplier.certs["rsa", "signing"], "--seal", seal_png, document, out)
    assert wrong_key.code == 2 and not out.exists()
    not_png = _stamp(bidtool, supplier, "rsa", document, document, out)
    assert not_png.code == 1 and not out.exists(), not_png.err
    off_page = _stamp(bidtool, supplier, "rsa", document, seal_png, out, "--page", "9")
    assert off_page.code == 1 and not out.exists(), off_page.err
    unsigned = _verify(bidtool, supplier, "rsa", document, crl_files)
    assert unsigned.code == 2 and "没有签名" in unsigned.err
    with_content = _verify(bidtool, supplier, "rsa", document, crl_files, "--content", document)
    assert with_content.code == 1 and "--content" in with_content.err
