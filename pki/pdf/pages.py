"""Changing pages in a stamp's revision: giving every page structures of its own, and drawing the
slices of a cross-page seal (骑缝章) in the form :mod:`pki.pdf.slices` defines.

**Own structures.** A later signer's slices must change no page dictionary: pyHanko checks that a
page receiving a new signature widget is otherwise unchanged, and the difference policy approves
changes object by object. So the first stamp of a document gives every page an indirect
``/Contents`` array, an indirect ``/Resources`` dictionary with an indirect ``/XObject``
dictionary, and an indirect ``/Annots`` array, none shared with another page; later stamps then only
change those objects (and pyHanko adds widgets to ``/Annots`` in place).
"""
from __future__ import annotations

from collections.abc import Sequence

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from pki.pdf import slices
from pki.pdf.appearance import cut_slices
from pki.pdf.pagetree import PageNode


def _key(ref: generic.IndirectObject) -> tuple[int, int]:
    return ref.reference.idnum, ref.reference.generation


def _raw(container: generic.DictionaryObject, key: str):
    try:
        return container.raw_get(key)
    except KeyError:
        return None


def _copy(value) -> generic.DictionaryObject:
    if value is None:
        return generic.DictionaryObject()
    obj = value.get_object()
    if not isinstance(obj, generic.DictionaryObject):
        return generic.DictionaryObject()
    return generic.DictionaryObject({generic.NameObject(k): obj.raw_get(k) for k in obj})


def _items(value) -> list:
    if value is None:
        return []
    obj = value.get_object()
    if isinstance(obj, generic.ArrayObject):
        return list(obj)
    return [value] if isinstance(value, generic.IndirectObject) else []


class _Owned:
    """Indirect objects already given to a page in this walk (a second page using one gets a copy)."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()

    def take(self, value, kind: type) -> bool:
        """True when ``value`` is an indirect ``kind`` no other page of this walk uses."""
        if not isinstance(value, generic.IndirectObject) or not isinstance(value.get_object(), kind):
            return False
        key = _key(value)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def own_structures(writer: IncrementalPdfFileWriter, pages: Sequence[PageNode]) -> int:
    """Give each page its own indirect /Contents array, /Resources, /Resources /XObject and /Annots.
    Returns the number of page dictionaries changed (none on a document stamped here before)."""
    owned = _Owned()
    changed = 0
    for node in pages:
        page = node.page
        touched = False
        contents = _raw(page, "/Contents")
        if not owned.take(contents, generic.ArrayObject):
            page[generic.NameObject("/Contents")] = ref = writer.add_object(generic.ArrayObject(_items(contents)))
            owned.take(ref, generic.ArrayObject)
            touched = True
        resources = node.raw("/Resources")
        if not (_raw(page, "/Resources") is not None and owned.take(resources, generic.DictionaryObject)):
            page[generic.NameObject("/Resources")] = resources = writer.add_object(_copy(resources))
            owned.take(resources, generic.DictionaryObject)
            touched = True
        res = resources.get_object()
        xobjects = _raw(res, "/XObject")
        if not owned.take(xobjects, generic.DictionaryObject):
            res[generic.NameObject("/XObject")] = ref = writer.add_object(_copy(xobjects))
            owned.take(ref, generic.DictionaryObject)
            writer.mark_update(resources)
        annots = _raw(page, "/Annots")
        if not owned.take(annots, generic.ArrayObject):
            page[generic.NameObject("/Annots")] = ref = writer.add_object(generic.ArrayObject(_items(annots)))
            owned.take(ref, generic.ArrayObject)
            touched = True
        if touched:
            writer.mark_update(node.ref)
            changed += 1
    return changed


def add_cross_page_seal(writer: IncrementalPdfFileWriter, pages: Sequence[PageNode], seal: Image.Image, *,
                        size: float, y: float | None, tag: str) -> None:
    """Cut ``seal`` into one slice per page and draw slice i on the right edge of page i, ``size``
    points high (and ``size / pages`` wide), its lower edge at ``y`` (default: centred). The pages
    must already have their own structures (:func:`own_structures`)."""
    parts = cut_slices(seal, len(pages))
    width = size / len(pages)
    earlier = _cross_page_seals(pages[0])
    opening = writer.add_object(generic.StreamObject(stream_data=slices.OPEN))
    for index, (node, part) in enumerate(zip(pages, parts)):
        x1, y1, x2, y2 = node.box()
        op = slices.SliceOp(name=f"{slices.NAME_PREFIX}{tag}P{index + 1}", x=x2 - width,
                            y=y if y is not None else _default_y(y1, y2, size, earlier), width=width, height=size)
        # round as the content stream writes them, so the drawn box is exactly the one checked
        op = slices.parse_slice_stream(slices.slice_stream(op))
        assert op is not None
        image_ref = pil_image(part, writer)
        stream_ref = writer.add_object(generic.StreamObject(stream_data=slices.slice_stream(op)))
        contents_ref = node.page.raw_get("/Contents")
        contents = contents_ref.get_object()
        contents.insert(0, opening)
        contents.append(stream_ref)
        writer.mark_update(contents_ref)
        xobjects_ref = node.page.raw_get("/Resources").get_object().raw_get("/XObject")
        xobjects_ref.get_object()[generic.NameObject("/" + op.name)] = image_ref
        writer.mark_update(xobjects_ref)


def _cross_page_seals(page: PageNode) -> int:
    """How many cross-page seals the page carries already (one slice of each)."""
    xobjects = page.page.raw_get("/Resources").get_object().raw_get("/XObject").get_object()
    return sum(1 for name in xobjects if name.startswith("/" + slices.NAME_PREFIX))


def _default_y(low: float, high: float, size: float, earlier: int) -> float:
    """Centred for the first cross-page seal; the next ones above and below it in turn, so that the
    parties' slices do not cover each other (clamped to the page)."""
    step = (earlier + 1) // 2 * (1 if earlier % 2 else -1)
    y = (low + high - size) / 2 + step * (size + 12)
    return min(max(y, low), high - size)


__all__ = ["own_structures", "add_cross_page_seal"]
