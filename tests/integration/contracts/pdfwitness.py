"""Outside looks at a contract PDF: pdfsig's verdict per signature (its lines parsed: it exits 0 even
on a digest mismatch), the cross-page seal slices drawn on each page, the text (pdftotext)."""
from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from pki.pdf.slices import NAME_PREFIX


def pdfsig_verdicts(pdf: bytes) -> list[str]:
    """The "Signature Validation" line of each signature, in order."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contract.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=120).stdout
    return [line.split(":", 1)[1].strip() for line in out.splitlines()
            if line.strip().startswith("- Signature Validation:")]


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
