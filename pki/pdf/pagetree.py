"""Walking a page tree (of a writer or of one historical revision) with its inherited attributes,
bounded: a loop, a tree deeper than any real one or more pages than :data:`MAX_PAGES` is refused."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pyhanko.pdf_utils import generic

from pki.pdf.errors import PdfTooComplex, PdfUnreadable

MAX_PAGES = 10_000
MAX_TREE_DEPTH = 64
INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


@dataclass(frozen=True)
class PageNode:
    """A page: its reference, its dictionary and what it inherits from the nodes above it (raw values)."""

    ref: generic.Reference
    page: generic.DictionaryObject
    inherited: dict[str, generic.PdfObject]

    def raw(self, key: str):
        """The page's own raw value of ``key``, else the inherited one, else None."""
        try:
            return self.page.raw_get(key)
        except KeyError:
            return self.inherited.get(key)

    def box(self) -> tuple[float, float, float, float]:
        """The visible area: /CropBox, else /MediaBox, as (x1, y1, x2, y2) normalised."""
        for key in ("/CropBox", "/MediaBox"):
            value = self.raw(key)
            if value is None:
                continue
            value = value.get_object()
            if isinstance(value, generic.ArrayObject) and len(value) == 4:
                try:
                    a, b, c, d = (float(v.get_object()) for v in value)
                except (TypeError, ValueError):
                    continue
                return min(a, c), min(b, d), max(a, c), max(b, d)
        return 0.0, 0.0, 612.0, 792.0


def walk_pages(pages_root: generic.PdfObject) -> list[PageNode]:
    """Every page under ``pages_root`` (the catalog's /Pages, as an IndirectObject), in order."""
    out: list[PageNode] = []
    for node in _walk(pages_root, {}, set(), 0):
        out.append(node)
        if len(out) > MAX_PAGES:
            raise PdfTooComplex(f"页数超过 {MAX_PAGES} (more than {MAX_PAGES} pages)")
    return out


def _walk(node_ref: generic.PdfObject, inherited: dict, seen: set, depth: int) -> Iterator[PageNode]:
    if depth > MAX_TREE_DEPTH:
        raise PdfTooComplex("页面树嵌套过深 (the page tree is nested too deeply)")
    if not isinstance(node_ref, generic.IndirectObject):
        raise PdfUnreadable("页面树中有直接对象 (the page tree holds a direct object)")
    ref = node_ref.reference
    key = (ref.idnum, ref.generation)
    if key in seen:
        raise PdfUnreadable("页面树中有循环引用 (the page tree contains a loop)")
    seen.add(key)
    node = node_ref.get_object()
    if not isinstance(node, generic.DictionaryObject):
        raise PdfUnreadable("页面树节点不是字典 (a page tree node is not a dictionary)")
    mine = dict(inherited)
    for attr in INHERITED:
        if attr in node:
            mine[attr] = node.raw_get(attr)
    kind = get(node, "/Type")
    if kind == "/Page" or (kind is None and "/Kids" not in node):
        yield PageNode(ref, node, dict(inherited))
        return
    kids = get(node, "/Kids")
    if not isinstance(kids, generic.ArrayObject):
        raise PdfUnreadable("页面树节点缺少 /Kids (a page tree node lacks /Kids)")
    for kid in kids:
        yield from _walk(kid, mine, seen, depth + 1)


def get(obj, key: str, default=None):
    """``obj[key]`` dereferenced (pyHanko's ``dict.get`` would return the raw, possibly indirect value),
    or ``default`` when ``obj`` is no dictionary or has no ``key``."""
    if not isinstance(obj, generic.DictionaryObject) or key not in obj:
        return default
    return obj[key]


def same_ref(a: generic.PdfObject, b: generic.PdfObject) -> bool:
    """Both indirect and pointing at the same object number and generation."""
    return (isinstance(a, generic.IndirectObject) and isinstance(b, generic.IndirectObject)
            and a.reference.idnum == b.reference.idnum and a.reference.generation == b.reference.generation)


__all__ = ["PageNode", "walk_pages", "same_ref", "get", "MAX_PAGES"]
