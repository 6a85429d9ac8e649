"""The seal's image: read and checked once, drawn as the signature widget's appearance, and cut into
the vertical slices of a cross-page seal (骑缝章)."""
from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from pki.pdf.errors import SealImageInvalid

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: A CA's seal image is a few hundred pixels square and well under a megabyte.
MAX_SEAL_BYTES = 4 * 1024 * 1024
MAX_SEAL_PIXELS = 2048


def load_seal(png: bytes) -> Image.Image:
    """The seal as an RGBA image, or :class:`SealImageInvalid`."""
    if not isinstance(png, (bytes, bytearray)) or not bytes(png[:8]) == PNG_MAGIC:
        raise SealImageInvalid("印章图片须为 PNG 格式 (the seal image must be a PNG)")
    if len(png) > MAX_SEAL_BYTES:
        raise SealImageInvalid(f"印章图片过大，最多 {MAX_SEAL_BYTES // 1024 // 1024} MiB (the seal image is larger "
                               f"than {MAX_SEAL_BYTES // 1024 // 1024} MiB)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(bytes(png)))
            if image.format != "PNG":
                raise SealImageInvalid("印章图片须为 PNG 格式 (the seal image must be a PNG)")
            width, height = image.size
            if not (0 < width <= MAX_SEAL_PIXELS and 0 < height <= MAX_SEAL_PIXELS):
                raise SealImageInvalid(f"印章图片尺寸须在 {MAX_SEAL_PIXELS} 像素以内 (the seal image must be at most "
                                       f"{MAX_SEAL_PIXELS} pixels on each side)")
            image.load()
            return image.convert("RGBA")
    except SealImageInvalid:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise SealImageInvalid(f"印章图片无法读取 (the seal image is unreadable: {exc})") from None


def opaque_share(image: Image.Image) -> float:
    """The share of pixels that are not fully transparent (what a seal covers of its square)."""
    alpha = image.getchannel("A")
    histogram = alpha.histogram()
    return 1.0 - histogram[0] / (image.width * image.height)


def cut_slices(image: Image.Image, count: int) -> list[Image.Image]:
    """``image`` without its transparent margins, cut into ``count`` vertical slices of (nearly) equal
    width, left to right (so the first and last pages get the seal's edge, not empty margin). An image
    narrower than ``2 × count`` pixels is scaled up first so that every slice has at least two columns."""
    if count < 1:
        raise ValueError("count must be positive")
    box = image.getchannel("A").getbbox()
    if box is not None:
        image = image.crop(box)
    if image.width < 2 * count:
        scale = (2 * count + image.width - 1) // image.width
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    bounds = [round(i * image.width / count) for i in range(count + 1)]
    return [image.crop((bounds[i], 0, bounds[i + 1], image.height)) for i in range(count)]


__all__ = ["load_seal", "opaque_share", "cut_slices", "MAX_SEAL_BYTES", "MAX_SEAL_PIXELS"]
