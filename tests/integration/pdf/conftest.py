"""PDF seal tests: a development CA (CFCA: RSA, EC and SM2 chains) issuing institution certificates with
their seals, the platform's TSA, CRLs, an NSS database trusting the dev roots (for ``pdfsig``), and
test documents made with reportlab in the embedded CJK font (3 and 50 pages).

Times are real: ``pdfsig`` judges certificates at the moment it runs, so the CA starts two days ago,
the TSA's clock stands at :data:`NOW` and the CRLs are published a minute before it.

The ``tools`` fixture gathers the outside witnesses: ``pdfsig`` (its lines parsed: it exits 0 on a
digest mismatch), pyHanko's validation in a separate process (``pyhanko_witness.py``), ``pdffonts``
and ``pdftoppm`` with pixel measurements.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from asn1crypto import pem, x509
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

import pki  # noqa: F401  (GM OIDs)
from pki.certs import load_certificate
from pki.devca import DevCA
from pki.identity import PartyIdentity, credit_code_check_char
from pki.keyops import FileKey
from pki.keys import load_pkcs12, load_private_key
from pki.pdf import ValidationData
from pki.timestamps import TimeStampAuthority

ROOT = Path(__file__).resolve().parents[3]
WITNESS = Path(__file__).with_name("pyhanko_witness.py")
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
CA_START = NOW - timedelta(days=2)
TSA_TIME = NOW
PASSWORD = b"pdf-seal-test"
TSA_POLICY = "1.3.6.1.4.1.99999.14.1"


def credit_code(seed: int) -> str:
    first = f"9144010055{seed:07d}"
    return first + credit_code_check_char(first)


@dataclass
class Party:
    """A certificate with its key (file), its seal PNG and the CA certificate above it."""

    name: str
    algorithm: str
    key: FileKey
    certificate: x509.Certificate
    seal_png: bytes
    intermediate: x509.Certificate
    serial: int


@dataclass
class Clock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


@dataclass
class SealWorld:
    ca: DevCA
    dir: Path
    tsa: TimeStampAuthority
    roots_pem: Path
    nss_dir: Path
    docs: dict[int, bytes]
    parties: dict[str, Party] = field(default_factory=dict)
    #: the moments of the session: CA start, signing time (now), the TSA's time, CRL publication
    ca_start: datetime = CA_START
    now: datetime = NOW
    tsa_time: datetime = TSA_TIME
    password: bytes = PASSWORD

    @staticmethod
    def credit_code(seed: int) -> str:
        return credit_code(seed)

    @property
    def trust(self):
        return self.ca.trust_list()

    def crls(self) -> list[bytes]:
        return self.ca.crls()

    def validation(self) -> ValidationData:
        certs = tuple(c for chain in self.ca.chains() for c in (chain.intermediate, chain.root))
        return ValidationData(certificates=certs, crls=tuple(self.crls()))

    def party(self, name: str, algorithm: str, seed: int) -> Party:
        """An institution certificate (with its 公章) from the CFCA profile, made once per session."""
        key = f"{name}/{algorithm}"
        if key not in self.parties:
            rec = self.ca.issue("cfca", PartyIdentity("institution", name, credit_code=credit_code(seed)),
                                algorithm=algorithm, password=PASSWORD, at=CA_START)
            data = self.ca.path(rec.key_file).read_bytes()
            private = load_private_key(data, PASSWORD) if algorithm == "sm2" else load_pkcs12(data, PASSWORD)[0]
            self.parties[key] = Party(name, algorithm, FileKey(private), self.ca.certificate(rec.serial),
                                      self.ca.path(rec.seal_file).read_bytes(),
                                      self.ca.chain("cfca", algorithm).intermediate, rec.serial)
            self.ca.publish_crls(at=NOW - timedelta(minutes=1))
        return self.parties[key]


def make_document(pages: int, title: str = "委托协议") -> bytes:
    """A deterministic test document in the embedded CJK font (reportlab, invariant mode)."""
    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", FONT, subfontIndex=0))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, initialFontName="WQY", initialFontSize=12, invariant=1)
    for page in range(pages):
        c.setFont("WQY", 16)
        c.drawString(72, 770, f"{title}　第 {page + 1} 页 / 共 {pages} 页")
        c.setFont("WQY", 11)
        for line in range(28):
            c.drawString(72, 730 - line * 20, f"第 {line + 1} 条　采购人与代理机构约定的事项（测试文本 {page + 1}-{line + 1}）")
        c.showPage()
    c.save()
    return out.getvalue()


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> SealWorld:
    base = tmp_path_factory.mktemp("pdf-seals")
    ca = DevCA(base / "state", base / "anchors")
    ca.init(["cfca"], at=CA_START)
    service = ca.ensure_service_certificate("tsa", base / "tsa", PartyIdentity(
        "institution", "平台时间戳服务", credit_code=credit_code(9999)), profile="cfca", algorithm="rsa", at=CA_START)
    tsa = TimeStampAuthority(FileKey(load_private_key(service.key_path.read_bytes())),
                             load_certificate(service.cert_path.read_bytes()),
                             [ca.chain("cfca", "rsa").intermediate], TSA_POLICY, Clock(TSA_TIME))
    roots = [chain.root for chain in ca.chains()]
    roots_pem = base / "roots.pem"
    roots_pem.write_bytes(b"".join(pem.armor("CERTIFICATE", r.dump()) for r in roots))
    nss = base / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    for index, root in enumerate(roots):
        path = base / f"root{index}.pem"
        path.write_bytes(pem.armor("CERTIFICATE", root.dump()))
        subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", f"root{index}", "-t", "C,C,", "-i", str(path)],
                       check=True, capture_output=True)
    ca.publish_crls(at=NOW - timedelta(minutes=1))
    return SealWorld(ca, base, tsa, roots_pem, nss, {3: make_document(3), 50: make_document(50, "合同")})


# -- the outside witnesses ---------------------------------------------------------------------------
@dataclass
class PdfsigSignature:
    field: str
    signature: str          # what follows "Signature Validation:"
    certificate: str        # what follows "Certificate Validation:"
    total: bool             # "Total document signed"


class Tools:
    def __init__(self, world: SealWorld, tmp: Path):
        self.world = world
        self.tmp = tmp
        self.count = 0

    def save(self, pdf: bytes, name: str | None = None) -> Path:
        self.count += 1
        path = self.tmp / (name or f"doc{self.count}.pdf")
        path.write_bytes(pdf)
        return path

    def pdfsig(self, pdf: bytes) -> list[PdfsigSignature]:
        """pdfsig's verdict per signature, parsed from its lines (it exits 0 on a mismatch)."""
        proc = subprocess.run(["pdfsig", "-nssdir", f"sql:{self.world.nss_dir}", str(self.save(pdf))],
                              capture_output=True, text=True, timeout=120)
        found: list[PdfsigSignature] = []
        for line in proc.stdout.splitlines():
            line = line.strip()
            if line.startswith("Signature #"):
                found.append(PdfsigSignature("", "", "", False))
            elif found and line.startswith("- Signature Field Name:"):
                found[-1].field = line.split(":", 1)[1].strip()
            elif found and line.startswith("- Signature Validation:"):
                found[-1].signature = line.split(":", 1)[1].strip()
            elif found and line.startswith("- Certificate Validation:"):
                found[-1].certificate = line.split(":", 1)[1].strip()
            elif found and line == "- Total document signed":
                found[-1].total = True
        return found

    def pyhanko(self, pdf: bytes, *, policy: str = "default", require_revinfo: bool = True,
                at: datetime = TSA_TIME) -> list[dict]:
        """pyHanko's validation in a separate process (pyhanko_witness.py), one dict per signature."""
        args = [sys.executable, str(WITNESS), str(self.save(pdf)), "--root", str(self.world.roots_pem),
                "--time", at.isoformat(), "--policy", policy]
        if require_revinfo:
            args.append("--require-revinfo")
        proc = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout)

    def pdffonts(self, pdf: bytes) -> list[dict]:
        proc = subprocess.run(["pdffonts", str(self.save(pdf))], capture_output=True, text=True, check=True)
        fonts = []
        for line in proc.stdout.splitlines()[2:]:
            parts = line.split()
            # name type… encoding emb sub uni object-id gen
            fonts.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
        return fonts

    @staticmethod
    def document(pages: int, title: str = "委托协议") -> bytes:
        return make_document(pages, title)

    def render(self, pdf: bytes, page: int, dpi: int = 72) -> Image.Image:
        path = self.save(pdf)
        prefix = self.tmp / f"render{self.count}"
        subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-singlefile",
                        str(path), str(prefix)], check=True, capture_output=True, timeout=120)
        with Image.open(f"{prefix}.png") as image:
            return image.convert("RGB")

    @staticmethod
    def red_share(image: Image.Image, box: tuple[float, float, float, float], dpi: int = 72,
                  page_height: float = A4[1]) -> float:
        """Share of clearly red pixels inside ``box`` (x, y, width, height in PDF points from the page's
        lower-left corner) of a page rendered at ``dpi``."""
        scale = dpi / 72
        x, y, w, h = box
        left, top = round(x * scale), round((page_height - y - h) * scale)
        crop = image.crop((left, top, left + max(1, round(w * scale)), top + max(1, round(h * scale))))
        return Tools.red_pixels(crop)

    @staticmethod
    def red_pixels(image: Image.Image) -> float:
        """Share of clearly red pixels of an RGB image."""
        data = image.convert("RGB").tobytes()
        count = len(data) // 3
        red = sum(1 for i in range(0, len(data), 3) if data[i] > 150 and data[i + 1] < 110 and data[i + 2] < 110)
        return red / count


@pytest.fixture
def tools(world, tmp_path) -> Tools:
    return Tools(world, tmp_path)
