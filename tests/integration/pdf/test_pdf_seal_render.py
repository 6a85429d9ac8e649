"""What a stamped document looks like: every font embedded (``pdffonts``), the seal red where it was
placed and nowhere else, the cross-page seal's slice on the right edge of every page (``pdftoppm``)."""
from __future__ import annotations

import io
import subprocess

from PIL import Image

from pki.pdf import SealPlacement, StampSpec, stamp_with_key, verify_pdf
from pki.pdf.appearance import load_seal, opaque_share

A4_WIDTH, A4_HEIGHT = 595.2756, 841.8898


def stamp(world, pdf: bytes, party, **spec) -> bytes:
    placement = spec.pop("placement", SealPlacement())
    return stamp_with_key(pdf, party.key, party.certificate, StampSpec(party.seal_png, placement, **spec),
                          chain=[party.intermediate], signing_time=world.now, timestamper=world.tsa)


def test_every_font_is_embedded(world, tools):
    purchaser = world.party("字体检查采购单位", "rsa", 201)
    for pdf in (world.docs[3], world.docs[50], stamp(world, world.docs[3], purchaser)):
        fonts = tools.pdffonts(pdf)
        assert fonts, "the documents have text"
        assert all(f["emb"] == "yes" and f["sub"] == "yes" for f in fonts), fonts


def test_the_seal_is_red_where_it_was_placed(world, tools):
    purchaser = world.party("像素检查采购单位", "rsa", 202)
    box = (300.0, 420.0, 120.0, 120.0)
    stamped = stamp(world, world.docs[3], purchaser, placement=SealPlacement(page=2, x=box[0], y=box[1], size=box[2]))
    seal = load_seal(purchaser.seal_png)
    on_paper = Image.new("RGBA", seal.size, "white")
    on_paper.alpha_composite(seal)
    expected = tools.red_pixels(on_paper.resize((120, 120), Image.LANCZOS))    # the seal at 72 dpi

    page2 = tools.render(stamped, 2)
    share = tools.red_share(page2, box)
    assert 0.08 < share < 0.2 and abs(share - expected) < 0.3 * expected, (share, expected)   # ~12 %, STACK.md
    assert tools.red_share(page2, (box[0] - 130, box[1], 120, 120)) == 0.0  # text beside it is black
    assert tools.red_share(tools.render(stamped, 1), box) == 0.0             # not on another page
    assert tools.red_share(tools.render(world.docs[3], 2), box) == 0.0       # and not before stamping

    (report,) = verify_pdf(stamped, trust=world.trust, crls=world.crls()).signatures
    shown = Image.open(io.BytesIO(report.seal_png))                          # the verification page's image
    assert abs(opaque_share(shown.convert("RGBA")) - opaque_share(seal)) < 0.02


def right_edges(tools, pdf: bytes, *, y: float, size: float, pages: int, dpi: int = 288) -> list[float]:
    """Red share of the strip ``size / pages`` wide on the right edge of every page, ``size`` high at ``y``."""
    width = size / pages
    scale = dpi / 72
    path = tools.save(pdf)
    prefix = tools.tmp / "edge"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-x", str(int((A4_WIDTH - width) * scale)),
                    "-y", str(int((A4_HEIGHT - y - size) * scale)), "-W", str(int(width * scale)),
                    "-H", str(int(size * scale)), "-png", str(path), str(prefix)], check=True, timeout=300)
    shares = []
    for page in range(1, pages + 1):
        with Image.open(tools.tmp / f"edge-{page:0{len(str(pages))}d}.png") as strip:
            shares.append(tools.red_share(strip.convert("RGB"), (0, 0, strip.width / scale, strip.height / scale),
                                          dpi=dpi, page_height=strip.height / scale))
    return shares


def test_cross_page_seal_has_a_slice_on_every_page(world, tools):
    supplier = world.party("骑缝章供应商有限公司", "ec", 203)
    size = 120.0
    stamped = stamp(world, world.docs[50], supplier, cross_page=True,
                    placement=SealPlacement(page=50, x=380, y=60, size=size))
    y = (A4_HEIGHT - size) / 2                      # the first cross-page seal is centred
    shares = right_edges(tools, stamped, y=y, size=size, pages=50)
    assert all(share > 0.02 for share in shares), [round(s, 3) for s in shares]
    assert sum(shares) / len(shares) > 0.08
    assert right_edges(tools, world.docs[50], y=y, size=size, pages=50) == [0.0] * 50

    report = verify_pdf(stamped, trust=world.trust, crls=world.crls())
    assert report.ok() and report.signatures[0].cross_page, report.signatures[0].problems
