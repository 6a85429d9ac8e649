"""``/api/v1``: procurement projects and tenders (采购项目与招标). The same use cases as the pages
(``bidding.tenders``): the public list and notice of published tenders; the agency creates a
project under a filed delegation agreement, uploads the 招标文件 (multipart), publishes, amends;
the purchaser writes its review opinion; suppliers register (报名) and download. Stamping a tender's
document goes through ``/api/v1/documents/<public_id>/stamp-sessions`` (``app/api/documents.py``)
with the ``public_id`` answered here. Amounts are strings of yuan (``"1200000.00"``); times are ISO
8601, Beijing time when they carry no offset."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import fields

from app import context
from app.api.schemas import ErrorSchema, PartySchema
from app.auth.access import roles_required
from app.documents.common import file_store, verify_url
from app.documents.views import pdf_response
from app.routing import ROW_ID_MAX
from app.tenders.views import account, pdf_limit, read_pdf_upload
from bidding.accounts.models import Role
from bidding.agreements.services import PROCUREMENT_METHODS
from bidding.tenders import documents, services
from bidding.parties.models import Party
from bidding.tenders.access import Relation, load_tender
from bidding.tenders.models import TenderPhase

blp = Blueprint("api_tenders", __name__, url_prefix="/api/v1",
                description="采购项目与招标：创建、招标文件、审核、发布、更正、报名、下载 (projects and tenders)")
STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)
AMOUNT = r"^[0-9]{1,14}(\.[0-9]{1,2})?$"


# -- schemas --------------------------------------------------------------------------------------------------
class LotInSchema(ma.Schema):
    name = fields.String(required=True, validate=ma.validate.Length(1, services.LOT_NAME_MAX))
    budget = fields.String(required=True, validate=ma.validate.Regexp(AMOUNT), metadata={"description": "yuan"})


class ProjectInSchema(ma.Schema):
    purchaser_id = fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, ROW_ID_MAX))
    title = fields.String(required=True, validate=ma.validate.Length(1, services.TITLE_MAX))
    budget = fields.String(required=True, validate=ma.validate.Regexp(AMOUNT), metadata={"description": "yuan"})
    method = fields.String(required=True, validate=ma.validate.OneOf(PROCUREMENT_METHODS))
    description = fields.String(load_default="", validate=ma.validate.Length(0, services.DESCRIPTION_MAX))
    lots = fields.List(fields.Nested(LotInSchema), load_default=list, validate=ma.validate.Length(0, services.LOTS_MAX),
                       metadata={"description": "各包预算之和须等于项目预算；不填：整个项目为一个包"})


class PdfUploadSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "PDF（按文件内容判断），不超过 32 MiB，未加密、未签名"})


class SealPageSchema(ma.Schema):
    seal_page = fields.Integer(load_default=0, validate=ma.validate.Range(0, 10_000),
                               metadata={"description": "盖章页码，0 = 最后一页（印章在右下角）"})


class AmendmentFormSchema(SealPageSchema):
    title = fields.String(required=True, validate=ma.validate.Length(1, documents.AMENDMENT_TITLE_MAX))
    summary = fields.String(required=True, validate=ma.validate.Length(1, documents.AMENDMENT_SUMMARY_MAX))
    new_bid_deadline = fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(0, 40),
                                     metadata={"description": "ISO 8601; only later than the current deadline"})
    new_opening_at = fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(0, 40),
                                   metadata={"description": "ISO 8601; default: moves with the deadline"})


class ReviewItemSchema(ma.Schema):
    item = fields.String(required=True, validate=ma.validate.Length(1, 50))
    conclusion = fields.String(required=True, validate=ma.validate.OneOf(documents.ITEM_CONCLUSIONS))
    remark = fields.String(load_default="", validate=ma.validate.Length(0, documents.REMARK_MAX))


class ReviewInSchema(ma.Schema):
    opinion = fields.String(required=True, validate=ma.validate.Length(1, documents.OPINION_MAX))
    conclusion = fields.String(required=True, validate=ma.validate.OneOf(documents.REVIEW_CONCLUSIONS))
    items = fields.List(fields.Nested(ReviewItemSchema), load_default=None, allow_none=True,
                        validate=ma.validate.Length(1, 20),
                        metadata={"description": "default: the standard items, 符合 when publishing is agreed"})


class PublicationSchema(ma.Schema):
    bid_deadline = fields.DateTime(required=True, metadata={"description": "投标截止时间; no offset: Beijing time"})
    opening_at = fields.DateTime(required=True, metadata={"description": "开标时间, not before the deadline"})
    decryption_window_minutes = fields.Integer(load_default=None, allow_none=True, strict=True,
                                               metadata={"description": "解密时限, 10 to 120 minutes (default 30)"})


class LotSchema(ma.Schema):
    seq = fields.Integer(required=True)
    name = fields.String(required=True)
    budget = fields.String(required=True)


class ProjectSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    title = fields.String(required=True)
    budget = fields.String(required=True)
    method = fields.String(required=True)
    description = fields.String(required=True)
    lots = fields.List(fields.Nested(LotSchema), required=True)


class TenderDocumentSchema(ma.Schema):
    public_id = fields.String(required=True, metadata={"description": "stamp it through /documents/<public_id>/stamp-sessions"})
    kind = fields.String(required=True)
    stamped = fields.Boolean(required=True)
    current_revision = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    download_url = fields.String(required=True)


class AmendmentSchema(ma.Schema):
    seq = fields.Integer(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    new_bid_deadline = fields.DateTime(allow_none=True)
    new_opening_at = fields.DateTime(allow_none=True)
    old_bid_deadline = fields.DateTime(allow_none=True)
    old_opening_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    published_at = fields.DateTime(allow_none=True)
    document = fields.Nested(TenderDocumentSchema, allow_none=True,
                             metadata={"description": "the agency, the purchaser and registered bidders only"})


class TenderSchema(ma.Schema):
    id = fields.Integer(required=True)
    public_id = fields.String(required=True, metadata={"description": "招标编号 (the tender id of bid packages)"})
    title = fields.String(required=True)
    phase = fields.Enum(TenderPhase, by_value=True, required=True,
                        metadata={"description": "derived from the times and the platform's clock at the request"})
    phase_label = fields.String(required=True)
    agency = fields.Nested(PartySchema, required=True)
    purchaser = fields.Nested(PartySchema, required=True)
    bid_deadline = fields.DateTime(allow_none=True)
    opening_at = fields.DateTime(allow_none=True)
    decryption_window_minutes = fields.Integer(required=True)
    window_end = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)


class TenderDetailSchema(TenderSchema):
    relation = fields.Enum(Relation, by_value=True, required=True,
                           metadata={"description": "agency | purchaser | bidder (registered) | supplier | public"})
    project = fields.Nested(ProjectSchema, required=True)
    documents = fields.Nested(TenderDocumentSchema, allow_none=True, metadata={"description": "招标文件"})
    review = fields.Nested(TenderDocumentSchema, allow_none=True,
                           metadata={"description": "采购文件审核意见书 (the agency and the purchaser only)"})
    review_conclusion = fields.String(allow_none=True)
    amendments = fields.List(fields.Nested(AmendmentSchema), required=True)
    registered_at = fields.DateTime(allow_none=True, metadata={"description": "the acting supplier's registration"})
    registered_count = fields.Integer(allow_none=True, metadata={"description": "the agency and the purchaser only"})
    missing = fields.List(fields.String(), required=True, metadata={"description": "what publication waits for"})


class TenderRegistrationSchema(ma.Schema):
    tender = fields.String(required=True)
    party_id = fields.Integer(required=True)
    registered_at = fields.DateTime(required=True)


class PurchaserChoiceSchema(ma.Schema):
    purchaser = fields.Nested(PartySchema, required=True)
    agreement = fields.String(required=True, metadata={"description": "the filed agreement in force (委托协议编号)"})
    term_end = fields.Date(required=True)


_401 = {"schema": ErrorSchema, "description": "未登录 (not logged in)"}
_404 = {"schema": ErrorSchema, "description": "项目不存在，或未发布且不是其代理机构、采购人 (tender_not_found)"}
_PDF = {"type": "string", "format": "binary"}


def _tender(uow, tender) -> dict[str, Any]:
    names = {p.id: p for p in (uow.session.get(Party, tender.agency_id),
                               uow.session.get(Party, tender.purchaser_id))}
    phase = tender.phase(uow.clock.now())
    return {"id": tender.id, "public_id": tender.public_id, "title": tender.title, "phase": phase,
            "phase_label": phase.label, "agency": names[tender.agency_id], "purchaser": names[tender.purchaser_id],
            "bid_deadline": tender.bid_deadline, "opening_at": tender.opening_at,
            "decryption_window_minutes": int(tender.decryption_window.total_seconds() // 60),
            "window_end": tender.window_end, "published_at": tender.published_at}


def _document(state, url: str) -> dict[str, Any] | None:
    if state is None:
        return None
    return {"public_id": state.document.public_id, "kind": state.document.kind.value, "stamped": state.stamped,
            "current_revision": state.document.current_seq, "sha256": state.revision.sha256,
            "size": state.revision.size, "download_url": url}


def _detail(uow, tender, who) -> dict[str, Any]:
    view = services.overview(uow, tender, who)
    project = view.project
    amendments = [{**{c: getattr(a, c) for c in ("seq", "title", "summary", "new_bid_deadline", "new_opening_at",
                                                  "old_bid_deadline", "old_opening_at", "created_at", "published_at")},
                   "document": _document(s, url_for("api_tenders.AmendmentFile", tender_id=tender.id, seq=a.seq))
                   if view.may_download else None} for a, s in view.amendments]
    return {**_tender(uow, tender), "relation": view.relation,
            "project": {"id": project.id, "number": project.number, "title": project.title,
                        "budget": str(project.budget), "method": project.method, "description": project.description,
                        "lots": [{"seq": lot.seq, "name": lot.name, "budget": str(lot.budget)} for lot in view.lots]},
            "documents": _document(view.documents, url_for("api_tenders.DocumentsFile", tender_id=tender.id))
            if view.may_download else None,
            "review": _document(view.review, url_for("api_tenders.ReviewFile", tender_id=tender.id)),
            "review_conclusion": tender.review_conclusion if view.review else None,
            "amendments": amendments,
            "registered_at": view.registration.registered_at if view.registration else None,
            "registered_count": view.registered_count, "missing": view.missing}


# -- tenders ----------------------------------------------------------------------------------------------------
@blp.route("/tenders")
class Tenders(MethodView):
    @blp.response(200, TenderSchema(many=True))
    def get(self) -> Any:
        """招标公告: every published tender, newest first (anyone)."""
        uow = context.uow()
        return [_tender(uow, t) for t in services.published_tenders(uow)]


@blp.route("/tenders/mine")
class MyTenders(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, TenderSchema(many=True))
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="仅供应商、代理机构、采购人经办人")
    def get(self) -> Any:
        """The acting party's tenders: an agency's or a purchaser's (drafts too), a supplier's registrations."""
        uow = context.uow()
        return [_tender(uow, t) for t in services.tenders_for(uow, current_user)]


@blp.route("/tenders/<int:tender_id>")
class TenderResource(MethodView):
    @blp.response(200, TenderDetailSchema)
    @blp.alt_response(404, **_404)
    def get(self, tender_id: int) -> Any:
        """One tender as the acting account may see it (anonymous: the published notice)."""
        uow = context.uow()
        return _detail(uow, services.get_tender_for(uow, tender_id, account()), account())


@blp.route("/projects")
class Projects(MethodView):
    @roles_required(Role.AGENCY_STAFF)
    @blp.arguments(ProjectInSchema)
    @blp.response(201, TenderDetailSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="项目内容有误，details.field 指出字段 (project_invalid)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="仅代理机构；没有与该采购人在期限内的已备案委托协议 "
                                                           "(agreement_not_filed)")
    def post(self, args: dict[str, Any]) -> Any:
        """Create a project for a purchaser under the filed agreement, with its tender (a draft)."""
        uow = context.uow()
        lots = [services.LotTerms(lot["name"], lot["budget"]) for lot in args.pop("lots")]
        tender = services.create_project(uow, current_user.party_id, services.ProjectTerms(**args, lots=lots))
        return _detail(uow, tender, current_user)


@blp.route("/projects/purchasers")
class ProjectPurchasers(MethodView):
    @roles_required(Role.AGENCY_STAFF)
    @blp.response(200, PurchaserChoiceSchema(many=True))
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="仅代理机构经办人 (agency staff only)")
    def get(self) -> Any:
        """The purchasers the agency may create a project for today (a filed agreement in force)."""
        return [{"purchaser": p, "agreement": a.number, "term_end": a.term_end}
                for p, a in services.purchasers_for(context.uow(), current_user.party_id)]


@blp.route("/tenders/<int:tender_id>/documents")
class TenderDocuments(MethodView):
    @roles_required(Role.AGENCY_STAFF)
    @blp.arguments(SealPageSchema, location="form")
    @blp.arguments(PdfUploadSchema, location="files")
    @blp.response(201, TenderDetailSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="不是可签章的 PDF (tender_pdf_refused)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="不是该项目的代理机构 (tender_not_the_agency)")
    @blp.alt_response(404, **_404)
    @blp.alt_response(409, schema=ErrorSchema, description="已发布：须发布更正公告 (tender_phase)")
    @blp.alt_response(413, schema=ErrorSchema, description="文件过大 (tender_pdf_too_large)")
    def post(self, form: dict[str, Any], files: dict[str, Any], tender_id: int) -> Any:
        """Upload the 招标文件 (multipart) of a draft tender; then stamp ``documents.public_id``."""
        data, filename = read_pdf_upload(files["file"])
        documents.upload_tender_documents(context.uow(), file_store(), tender_id, current_user.party_id, data,
                                          filename, max_bytes=pdf_limit(), seal_page=form["seal_page"])
        uow = context.uow()
        return _detail(uow, services.get_tender_for(uow, tender_id, current_user), current_user)


@blp.route("/tenders/<int:tender_id>/review-opinion")
class TenderReview(MethodView):
    @roles_required(Role.PURCHASER_STAFF)
    @blp.arguments(ReviewInSchema)
    @blp.response(201, TenderDetailSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="审核意见有误 (review_invalid)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="不是该项目的采购人 (tender_not_the_purchaser)")
    @blp.alt_response(404, **_404)
    @blp.alt_response(409, schema=ErrorSchema, description="招标文件未签章，或已发布 (tender_documents_not_ready, tender_phase)")
    def post(self, args: dict[str, Any], tender_id: int) -> Any:
        """The purchaser's 采购文件审核意见书 over the stamped 招标文件; then stamp ``review.public_id``."""
        items = None if args["items"] is None else [(i["item"], i["conclusion"], i["remark"]) for i in args["items"]]
        documents.write_review_opinion(context.uow(), file_store(), tender_id, current_user.party_id,
                                       documents.ReviewTerms(args["opinion"], args["conclusion"], items),
                                       verify_url=verify_url)
        uow = context.uow()
        return _detail(uow, services.get_tender_for(uow, tender_id, current_user), current_user)


@blp.route("/tenders/<int:tender_id>/publication")
class TenderPublication(MethodView):
    @roles_required(Role.AGENCY_STAFF)
    @blp.arguments(PublicationSchema)
    @blp.response(200, TenderDetailSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="时间有误：须在将来、开标不早于截止、解密时限 10–120 分钟 "
                                                           "(tender_times_invalid)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="不是该项目的代理机构 (tender_not_the_agency)")
    @blp.alt_response(404, **_404)
    @blp.alt_response(409, schema=ErrorSchema, description="文件未齐备或已发布 (tender_documents_not_ready, tender_phase)")
    def post(self, args: dict[str, Any], tender_id: int) -> Any:
        """Publish the tender with its bid deadline, opening time and decryption window."""
        uow = context.uow()
        tender = services.publish_tender(uow, tender_id, current_user.party_id, bid_deadline=args["bid_deadline"],
                                         opening_at=args["opening_at"],
                                         decryption_window_minutes=args["decryption_window_minutes"])
        return _detail(uow, tender, current_user)


@blp.route("/tenders/<int:tender_id>/amendments")
class TenderAmendments(MethodView):
    @blp.response(200, AmendmentSchema(many=True))
    @blp.alt_response(404, **_404)
    def get(self, tender_id: int) -> Any:
        """The published amendments (the agency: its unpublished ones too)."""
        uow = context.uow()
        return _detail(uow, services.get_tender_for(uow, tender_id, account()), account())["amendments"]

    @roles_required(Role.AGENCY_STAFF)
    @blp.arguments(AmendmentFormSchema, location="form")
    @blp.arguments(PdfUploadSchema, location="files")
    @blp.response(201, AmendmentSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="内容、时间或文件有误 (amendment_invalid, tender_times_invalid, "
                                                           "tender_pdf_refused)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="不是该项目的代理机构 (tender_not_the_agency)")
    @blp.alt_response(404, **_404)
    @blp.alt_response(409, schema=ErrorSchema, description="未发布或投标已截止 (tender_phase)")
    @blp.alt_response(413, schema=ErrorSchema, description="文件过大 (tender_pdf_too_large)")
    def post(self, form: dict[str, Any], files: dict[str, Any], tender_id: int) -> Any:
        """Upload an amendment (更正公告, multipart); stamping its ``document.public_id`` publishes it."""
        data, filename = read_pdf_upload(files["file"])
        terms = documents.AmendmentTerms(form["title"], form["summary"], form["new_bid_deadline"], form["new_opening_at"])
        amendment = documents.upload_amendment(context.uow(), file_store(), tender_id, current_user.party_id, terms,
                                               data, filename, max_bytes=pdf_limit(), seal_page=form["seal_page"])
        uow = context.uow()
        detail = _detail(uow, services.get_tender_for(uow, tender_id, current_user), current_user)
        return next(a for a in detail["amendments"] if a["seq"] == amendment.seq)


@blp.route("/tenders/<int:tender_id>/registration")
class TenderRegistrationResource(MethodView):
    @roles_required(Role.SUPPLIER_STAFF)
    @blp.response(200, TenderRegistrationSchema)
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="仅供应商；本单位未报名 (tender_not_registered)")
    @blp.alt_response(404, **_404)
    def get(self, tender_id: int) -> Any:
        """The acting supplier's registration for the tender."""
        uow = context.uow()
        tender = services.get_tender_for(uow, tender_id, current_user)
        registration = services.tender_registration(uow, tender.id, current_user.party_id)
        return {"tender": tender.public_id, "party_id": registration.party_id,
                "registered_at": registration.registered_at}

    @roles_required(Role.SUPPLIER_STAFF)
    @blp.response(201, TenderRegistrationSchema)
    @blp.alt_response(400, schema=ErrorSchema, description="缺少安全令牌 (csrf)")
    @blp.alt_response(401, **_401)
    @blp.alt_response(403, schema=ErrorSchema, description="仅供应商经办人 (tender_only_suppliers)")
    @blp.alt_response(404, **_404)
    @blp.alt_response(409, schema=ErrorSchema, description="已报名，或投标已截止 (tender_already_registered, tender_phase)")
    def post(self, tender_id: int) -> Any:
        """Register (报名) for a tender open for bids: strictly before its bid deadline."""
        uow = context.uow()
        registration = services.register_for_tender(uow, tender_id, current_user)
        return {"tender": load_tender(uow, tender_id).public_id, "party_id": registration.party_id,
                "registered_at": registration.registered_at}


def _pdf(tender_id: int, which: str, seq: int | None = None) -> Any:
    document, revision, data = documents.tender_file(context.uow(), file_store(), tender_id, current_user, which, seq)
    return pdf_response(data, f"{document.public_id}-r{revision.seq}.pdf", attachment=True)


_FILE_ERRORS = [(401, _401), (403, {"schema": ErrorSchema, "description": "不是已报名的供应商、代理机构或采购人 "
                                                                         "(tender_file_denied)"}),
                (404, {"schema": ErrorSchema, "description": "项目或文件不存在 (tender_not_found, tender_file_not_found)"}),
                (409, {"schema": ErrorSchema, "description": "存储中的文件已损坏 (document_file_damaged)"})]


def _file_errors(view):  # type: ignore[no-untyped-def]
    for status, spec in _FILE_ERRORS:
        view = blp.alt_response(status, **spec)(view)
    return view


@blp.route("/tenders/<int:tender_id>/files/documents")
class DocumentsFile(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, _PDF, content_type="application/pdf", description="the current (stamped) 招标文件")
    @_file_errors
    def get(self, tender_id: int) -> Any:
        """The 招标文件 (registered bidders, the agency, the purchaser)."""
        return _pdf(tender_id, "documents")


@blp.route("/tenders/<int:tender_id>/files/review-opinion")
class ReviewFile(MethodView):
    @roles_required(Role.AGENCY_STAFF, Role.PURCHASER_STAFF)
    @blp.response(200, _PDF, content_type="application/pdf", description="the 采购文件审核意见书")
    @_file_errors
    def get(self, tender_id: int) -> Any:
        """The review opinion (the agency and the purchaser only)."""
        return _pdf(tender_id, "review")


@blp.route("/tenders/<int:tender_id>/files/amendments/<int:seq>")
class AmendmentFile(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, _PDF, content_type="application/pdf", description="更正公告 number seq")
    @_file_errors
    def get(self, tender_id: int, seq: int) -> Any:
        """An amendment (registered bidders: the published ones; the agency and the purchaser: all)."""
        return _pdf(tender_id, "amendment", seq)
