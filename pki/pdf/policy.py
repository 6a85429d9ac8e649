"""The difference policy of the platform's seals: what may follow a signature in later revisions.

pyHanko's default policy (:data:`pyhanko.sign.diff_analysis.DEFAULT_DIFF_POLICY`) flags a later
signer's cross-page seal slices, which change every page's content. :data:`SEAL_DIFF_POLICY` starts
from the parts of it that concern signatures and adds one rule, :class:`SealSliceRule`. After a
signature it accepts exactly:

- new signature fields with their widgets on pages' ``/Annots`` and their appearances, and the
  ``/AcroForm`` changes that come with them; a signature put into an existing empty signature field
  (pyHanko's ``SigFieldCreationRule`` and ``SigFieldModificationRule``);
- the document security store (B-LT validation data), the document information dictionary, XMP
  metadata, object and cross-reference streams (pyHanko's file-structure, DSS and metadata rules);
- cross-page seal slices exactly as :mod:`pki.pdf.slices` describes them, and a page's ``/Contents``,
  ``/Resources`` and ``/Resources /XObject`` moved into indirect objects of their own with the same
  effect (what :func:`pki.pdf.pages.own_structures` does) — :class:`SealSliceRule`;

and nothing else: filling other form fields (pyHanko's ``GenericFieldModificationRule`` is left
out), annotations other than signature widgets, pages added, removed or reordered, a content stream,
font or image changed, any other object changed.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver
from pyhanko.sign.diff_analysis import (CatalogModificationRule, DocInfoRule, DSSCompareRule, FormUpdatingRule,
                                        MetadataUpdateRule, ModificationLevel, ObjectStreamRule, ReferenceUpdate,
                                        SigFieldCreationRule, SigFieldModificationRule, StandardDiffPolicy,
                                        WhitelistRule, XrefStreamRule)

from pki.pdf import slices
from pki.pdf.errors import PdfError
from pki.pdf.pagetree import PageNode, get, same_ref, walk_pages
from pki.pdf.reading import PARSER_ERRORS

MAX_COMPARE_DEPTH = 32


@dataclass
class PageChange:
    """How a page changed between two revisions when only by seal slices (and restructuring)."""

    slices: list[slices.SliceOp] = field(default_factory=list)
    #: objects checked here: the new slice streams and images, the page's containers
    refs: list[generic.Reference] = field(default_factory=list)
    #: the page dictionary differs at most in where its /Contents and /Resources are kept
    page_dict_ok: bool = True


class SealSliceRule(WhitelistRule):
    """Approves cross-page seal slices added to pages after the signed revision (see the module)."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterable[ReferenceUpdate]:
        for old_page, change in compare_pages(old, new):
            yield from (ReferenceUpdate(ref) for ref in change.refs)
            if change.page_dict_ok:
                yield ReferenceUpdate(old_page.ref)


def compare_pages(old: HistoricalResolver, new: HistoricalResolver) -> Iterator[tuple[PageNode, PageChange]]:
    """Each page whose changes between ``old`` and ``new`` are seal slices (or none), with them; nothing
    at all when the page tree itself changed (that is for the other rules to flag)."""
    try:
        old_pages = walk_pages(old.root.raw_get("/Pages"))
        new_pages = walk_pages(new.root.raw_get("/Pages"))
    except (PdfError, *PARSER_ERRORS):
        return
    if len(old_pages) != len(new_pages) or any(
            (a.ref.idnum, a.ref.generation) != (b.ref.idnum, b.ref.generation) for a, b in zip(old_pages, new_pages)):
        return
    for old_page, new_page in zip(old_pages, new_pages):
        try:
            change = compare_page(old, old_page, new_page)
        except PARSER_ERRORS:
            change = None
        if change is not None:
            yield old_page, change


def slices_added(old: HistoricalResolver, new: HistoricalResolver) -> int:
    """How many pages received a seal slice between ``old`` and ``new``."""
    return sum(1 for _, change in compare_pages(old, new) if change.slices)


def compare_page(old: HistoricalResolver, o: PageNode, n: PageNode) -> PageChange | None:
    change = PageChange()
    for key in set(o.page) | set(n.page):
        if key in ("/Contents", "/Resources"):
            continue
        if key not in o.page or key not in n.page or not same_value(o.page.raw_get(key), n.page.raw_get(key)):
            change.page_dict_ok = False
            if key != "/Annots":         # a widget added: pyHanko's field rules judge it
                return None
    contents = n.page.raw_get("/Contents") if "/Contents" in n.page else None
    if isinstance(contents, generic.IndirectObject) and isinstance(contents.get_object(), generic.ArrayObject):
        change.refs.append(contents.reference)       # the array (never a content stream itself)
    resources = n.raw("/Resources")
    if isinstance(resources, generic.IndirectObject):
        change.refs.append(resources.reference)      # checked to be a dictionary below
    ops = _contents_change(old, o, n, change)
    if ops is None or not _resources_change(old, o, n, ops, change):
        return None
    box = n.box()
    if box != o.box() or not all(slices.on_right_edge(op, box) for op in ops):
        return None
    change.slices = ops
    return change


def _contents(node: PageNode) -> list[generic.IndirectObject] | None:
    raw = node.page.raw_get("/Contents") if "/Contents" in node.page else None
    if raw is None:
        return []
    obj = raw.get_object()
    if isinstance(obj, generic.StreamObject):
        return [raw] if isinstance(raw, generic.IndirectObject) else None
    if isinstance(obj, generic.ArrayObject) and all(isinstance(item, generic.IndirectObject) for item in obj):
        return list(obj)
    return None


def _contents_change(old: HistoricalResolver, o: PageNode, n: PageNode,
                     change: PageChange) -> list[slices.SliceOp] | None:
    before, after = _contents(o), _contents(n)
    if before is None or after is None:
        return None
    opens = 0
    while opens < len(after) and _new(old, after[opens]) and _stream_data(after[opens]) == slices.OPEN:
        opens += 1
    middle = after[opens:opens + len(before)]
    if len(middle) != len(before) or not all(same_ref(a, b) for a, b in zip(before, middle)):
        return None
    ops = []
    for ref in after[opens + len(before):]:
        data = _stream_data(ref) if _new(old, ref) else None
        op = slices.parse_slice_stream(data) if data is not None else None
        if op is None:
            return None
        ops.append(op)
    if len(ops) != opens:
        return None
    change.refs += [ref.reference for ref in after[:opens]] + [ref.reference for ref in after[opens + len(before):]]
    return ops


def _resources_change(old: HistoricalResolver, o: PageNode, n: PageNode, ops: list[slices.SliceOp],
                      change: PageChange) -> bool:
    before, after = _dict(o.raw("/Resources")), _dict(n.raw("/Resources"))
    if before is None or after is None:
        return False
    for key in (set(before) | set(after)) - {"/XObject"}:
        if key not in before or key not in after or not same_value(before.raw_get(key), after.raw_get(key)):
            return False
    xo_raw_before = before.raw_get("/XObject") if "/XObject" in before else None
    xo_raw_after = after.raw_get("/XObject") if "/XObject" in after else None
    xo_before, xo_after = _dict(xo_raw_before), _dict(xo_raw_after)
    if xo_before is None or xo_after is None:
        return False
    if isinstance(xo_raw_after, generic.IndirectObject):
        change.refs.append(xo_raw_after.reference)
    for key in xo_before:
        if key not in xo_after or not same_value(xo_before.raw_get(key), xo_after.raw_get(key)):
            return False
    added = set(xo_after) - set(xo_before)
    names = ["/" + op.name for op in ops]
    if len(set(names)) != len(names) or added != set(names):
        return False
    for name in names:
        images = _slice_image(old, xo_after.raw_get(name))
        if images is None:
            return False
        change.refs += images
    return True


def _slice_image(old: HistoricalResolver, raw) -> list[generic.Reference] | None:
    """The image's reference and its soft mask's, when ``raw`` is a new image XObject of a slice."""
    if not _new(old, raw) or not _image(raw.get_object(), ("/DeviceRGB", "/DeviceGray")):
        return None
    refs = [raw.reference]
    image = raw.get_object()
    if "/SMask" in image:
        mask = image.raw_get("/SMask")
        if not _new(old, mask) or not _image(mask.get_object(), ("/DeviceGray",)) or "/SMask" in mask.get_object():
            return None
        refs.append(mask.reference)
    return refs


def _image(obj, spaces: tuple[str, ...]) -> bool:
    if not isinstance(obj, generic.StreamObject) or not set(obj) <= slices.IMAGE_KEYS:
        return False
    width, height = get(obj, "/Width"), get(obj, "/Height")
    return (get(obj, "/Type", "/XObject") == "/XObject" and get(obj, "/Subtype") == "/Image"
            and isinstance(obj.raw_get("/ColorSpace"), generic.NameObject) and obj.raw_get("/ColorSpace") in spaces
            and get(obj, "/BitsPerComponent") == 8
            and isinstance(width, int) and isinstance(height, int)
            and 0 < width <= slices.MAX_IMAGE_PIXELS and 0 < height <= slices.MAX_IMAGE_PIXELS
            and _plain_or_flate(obj))


def _plain_or_flate(stream: generic.StreamObject) -> bool:
    if "/Filter" not in stream:
        return True
    value = stream.raw_get("/Filter")
    return value == "/FlateDecode" or (isinstance(value, generic.ArrayObject) and list(value) == ["/FlateDecode"])


def _stream_data(ref: generic.IndirectObject) -> bytes | None:
    """A small stream's decoded data, when it is a plain (or Flate) stream with nothing else in its dictionary."""
    obj = ref.get_object()
    if not isinstance(obj, generic.StreamObject) or not set(obj) <= {"/Length", "/Filter"} or not _plain_or_flate(obj):
        return None
    if len(obj.encoded_data) > slices.MAX_STREAM_BYTES:
        return None
    data = obj.data
    return data if len(data) <= slices.MAX_STREAM_BYTES else None


def _dict(raw) -> generic.DictionaryObject | None:
    if raw is None:
        return generic.DictionaryObject()
    obj = raw.get_object()
    return obj if isinstance(obj, generic.DictionaryObject) and not isinstance(obj, generic.StreamObject) else None


def _new(old: HistoricalResolver, raw) -> bool:
    """``raw`` is a reference to an object that did not exist in ``old``."""
    return isinstance(raw, generic.IndirectObject) and old.is_ref_unassignable(raw.reference)


def same_value(a, b, depth: int = 0) -> bool:
    """Equal PDF values, comparing references by number (not by what they point at)."""
    if depth > MAX_COMPARE_DEPTH:
        return False
    if isinstance(a, generic.IndirectObject) or isinstance(b, generic.IndirectObject):
        return same_ref(a, b)
    if isinstance(a, generic.StreamObject) or isinstance(b, generic.StreamObject):
        return False
    if isinstance(a, generic.DictionaryObject):
        return (isinstance(b, generic.DictionaryObject) and set(a) == set(b)
                and all(same_value(a.raw_get(k), b.raw_get(k), depth + 1) for k in a))
    if isinstance(a, generic.ArrayObject):
        return (isinstance(b, generic.ArrayObject) and len(a) == len(b)
                and all(same_value(x, y, depth + 1) for x, y in zip(a, b)))
    if isinstance(a, (generic.TextStringObject, generic.ByteStringObject)):
        return (isinstance(b, (generic.TextStringObject, generic.ByteStringObject))
                and a.original_bytes == b.original_bytes)
    return type(a) is type(b) and a == b


SEAL_DIFF_POLICY = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(),
        DocInfoRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
        MetadataUpdateRule().as_qualified(ModificationLevel.LTA_UPDATES),
        SealSliceRule().as_qualified(ModificationLevel.FORM_FILLING),
    ],
    form_rule=FormUpdatingRule(field_rules=[SigFieldCreationRule(), SigFieldModificationRule()]),
)


__all__ = ["SEAL_DIFF_POLICY", "SealSliceRule", "PageChange", "compare_pages", "compare_page", "slices_added",
           "same_value"]
