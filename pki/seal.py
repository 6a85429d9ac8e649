"""Electronic seals (电子印章): the red round seal image, and the rules binding a seal to a certificate.

- R2: one certificate carries at most one seal (公章, 合同专用章 and 业务专用章 need three certificates).
- R3: the seal's owner must be the certificate's subject (a head office's certificate cannot carry
  a branch's seal: the branch has its own credit code).
- R6: sub-keys (副锁) carry no seal.
"""
from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from pki.errors import PkiError
from pki.identity import PartyIdentity

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"   # Debian fonts-wqy-zenhei
SEAL_KINDS = ("公章", "合同专用章", "业务专用章")
SEAL_RED = (218, 22, 30, 255)


class SealError(PkiError):
    """A seal cannot be made or bound. ``code`` is stable for callers."""

    code = "seal_invalid"
    message = "印章无法制作或绑定 (the seal cannot be made or bound)"
    kind = "input"


class CertificateAlreadyHasSeal(SealError):
    code = "certificate_has_seal"
    message = "该证书已绑定印章 (the certificate already carries a seal)"
    kind = "state"


class SealOwnerMismatch(SealError):
    code = "seal_owner_mismatch"
    message = "印章所有者与证书主体不符 (the seal's owner is not the certificate's subject)"


class SubKeyCarriesNoSeal(SealError):
    code = "sub_key_carries_no_seal"
    message = "副锁不能加载印章 (a sub-key carries no seal)"


class UnknownSealKind(SealError):
    code = "seal_kind_unknown"
    message = "未知的印章类型 (unknown seal kind)"


@dataclass(frozen=True)
class Seal:
    """A seal: its owner (name and credit code), its kind and its PNG image."""

    owner_name: str
    owner_number: str
    kind: str
    image_png: bytes = field(repr=False)


def make_seal(owner: PartyIdentity, kind: str = "公章", *, size: int = 300) -> Seal:
    """The seal of ``owner`` (the organisation for institution and legal-representative identities)."""
    if kind not in SEAL_KINDS:
        raise UnknownSealKind(f"未知的印章类型 {kind}，可选：{'、'.join(SEAL_KINDS)} (unknown seal kind {kind})")
    return Seal(owner.party_name, owner.number, kind, draw_seal(owner.party_name, kind, size=size))


def check_seal_binding(seal: Seal, subject: PartyIdentity, *, seals_on_certificate: Sequence[Seal] = (),
                       main_key: bool = True) -> None:
    """Raise if ``seal`` may not be bound to the certificate whose subject is ``subject``.

    ``seals_on_certificate``: the seals the certificate already carries (R2); ``main_key``: False
    for a sub-key (副锁) certificate (R6).
    """
    if not main_key:
        raise SubKeyCarriesNoSeal("副锁不能加载印章，只用于制作和解密投标文件 (a sub-key carries no seal: it only "
                                  "makes and decrypts bid files)")
    if seals_on_certificate:
        have = seals_on_certificate[0].kind
        raise CertificateAlreadyHasSeal(f"该证书已绑定印章（{have}），一张证书只能绑定一枚印章；需要{seal.kind}请另行申请证书 "
                                        f"(the certificate already carries a seal, {have}; one certificate carries "
                                        f"one seal: apply for another certificate for the {seal.kind})")
    if seal.owner_number != subject.number or seal.owner_name != subject.party_name:
        raise SealOwnerMismatch(f"印章所有者（{seal.owner_name}，{seal.owner_number}）与证书主体（{subject.party_name}，"
                                f"{subject.number}）不一致 (the seal's owner {seal.owner_number} is not the "
                                f"certificate's subject {subject.number})")


# -- drawing ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=16)
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, px, index=0)


def draw_seal(owner_name: str, kind: str | None = None, *, size: int = 300) -> bytes:
    """A red round seal as PNG with a transparent background: outer ring, ``owner_name`` around the
    top, a five-pointed star in the middle, ``kind`` (e.g. 合同专用章) below the star."""
    if not owner_name:
        raise SealError("印章需要所有者名称 (a seal needs its owner's name)")
    scale = 2                                   # draw large, then downsample: smooth edges
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = s / 2
    ring = s * 0.035
    outer = s / 2 - ring
    draw.ellipse((c - outer, c - outer, c + outer, c + outer), outline=SEAL_RED, width=round(ring))
    _star(draw, c, c, s * 0.17)
    _arc_text(img, owner_name, c, outer - ring - s * 0.075, s)
    if kind:
        font = _font(round(s * 0.085))
        w = draw.textlength(kind, font=font)
        draw.text((c - w / 2, c + s * 0.2), kind, font=font, fill=SEAL_RED)
    out = io.BytesIO()
    img.resize((size, size), Image.LANCZOS).save(out, format="PNG")
    return out.getvalue()


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = math.radians(-90 + i * 36)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)


def _arc_text(img: Image.Image, text: str, c: float, radius: float, s: int) -> None:
    """Characters upright towards the centre, spread symmetrically over the top of the circle."""
    n = len(text)
    px = round(s * (0.13 if n <= 10 else max(0.07, 0.13 * 10 / n)))
    font = _font(px)
    span = min(250.0, max(90.0, n * 22.0 * px / (s * 0.13)))
    step = span / max(n - 1, 1)
    start = -span / 2 if n > 1 else 0.0
    for i, ch in enumerate(text):
        theta = start + i * step            # degrees clockwise from the top
        tile = Image.new("RGBA", (px * 2, px * 2), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((px, px), ch, font=font, fill=SEAL_RED, anchor="mm")
        tile = tile.rotate(-theta, resample=Image.BILINEAR)
        rad = math.radians(theta)
        x, y = c + radius * math.sin(rad), c - radius * math.cos(rad)
        img.alpha_composite(tile, (round(x - px), round(y - px)))


__all__ = ["SEAL_KINDS", "Seal", "SealError", "CertificateAlreadyHasSeal", "SealOwnerMismatch", "SubKeyCarriesNoSeal",
           "UnknownSealKind", "make_seal", "check_seal_binding", "draw_seal"]
