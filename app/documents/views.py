"""Downloading a document's PDF: only its parties, each once the document has reached it."""
from __future__ import annotations

from flask import Response, request
from flask_login import current_user

from app import context
from app.auth.access import roles_required
from app.documents.common import file_store
from bidding.accounts.models import Role
from bidding.documents.services import read_revision

STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)


@roles_required(*STAFF)
def download(public_id: str, seq: int | None = None):  # type: ignore[no-untyped-def]
    """The current revision (or revision ``seq``); shown in the browser unless ``?download=1``."""
    document, revision, data = read_revision(context.uow(), file_store(), public_id, current_user.party_id, seq)
    return pdf_response(data, f"{document.public_id}-r{revision.seq}.pdf", attachment=request.args.get("download") == "1")


def pdf_response(data: bytes, filename: str, *, attachment: bool) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
