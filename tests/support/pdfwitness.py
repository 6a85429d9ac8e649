"""Outside looks at a stamped PDF: pdfsig's verdict per signature (its lines parsed: it exits 0 even
on a digest mismatch), the cross-page seal slices drawn on each page, the text (pdftotext)."""
from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from pki.pdf.slices import NAME_PREFIX


def pdfsig_verdicts(pdf: bytes | Path) -> list[str]:
    """The "Signature Validation" line of each signature, in order ("" for a signature pdfsig
    lists without one); ``pdf`` is the file's bytes or its path."""
    with tempfile.TemporaryDirectory() as folder:
        path = pdf if isinstance(pdf, Path) else Path(folder) / "document.pdf"
        if not isinstance(pdf, Path):
            path.write_bytes(pdf)
        out = subprocess.run(["pdfsig", str(path)], check=False, capture_output=True, text=True, timeout=120).stdout
    verdicts: list[str] = []
    for line in (line.strip() for line in out.splitlines()):
        if line.startswith("Signature #"):
            verdicts.append("")
        elif verdicts and line.startswith("- Signature Validation:"):
            verdicts[-1] = line.split(":", 1)[1].strip()
    return verdicts


def slices_per_page(pdf: bytes) -> list[int]:
    """How many seal-slice images each page's resources name (one per cross-page seal)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    counts = []
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else {}
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else {}
        counts.append(sum(1 for name in xobjects if str(name).startswith("/" + NAME_PREFIX)))
    return counts


def text_of(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contract.pdf"
        path.write_bytes(pdf)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              timeout=60).stdout
