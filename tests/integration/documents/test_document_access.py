"""Only a document's parties read it, each once it has reached it: the purchaser its draft at once,
the agency once the purchaser stamped; a supplier never. A damaged file in the store is refused,
not served."""
from __future__ import annotations

from sqlalchemy import select
from support.agreements import client_as, draft
from support.stamping import stamp_via_api

from app.extensions import db
from bidding.documents.models import Document, DocumentRevision
from bidding.documents.store import REVISIONS, file_path


def test_who_reads_a_document(world, bound, purchaser_signer):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    agency, supplier = client_as(app, "agency"), client_as(app, "supplier")
    anonymous = app.test_client()

    page = purchaser.get(f"/documents/{public_id}.pdf")
    assert page.status_code == 200 and page.data.startswith(b"%PDF-")
    assert page.headers["Content-Disposition"].startswith("inline")
    assert purchaser.get(f"/documents/{public_id}.pdf?download=1").headers["Content-Disposition"].startswith("attachment")
    assert purchaser.get(f"/documents/{public_id.lower()}.pdf").status_code == 200
    assert purchaser.get(f"/api/v1/documents/{public_id}").json["current_revision"] == 1
    api_file = purchaser.get(f"/api/v1/documents/{public_id}/revisions/1/pdf")
    assert api_file.status_code == 200 and api_file.mimetype == "application/pdf" and api_file.data == page.data
    for client in (agency, supplier):
        assert client.get(f"/documents/{public_id}.pdf").status_code == 403
        assert client.get(f"/api/v1/documents/{public_id}").status_code == 403
        assert client.get(f"/api/v1/documents/{public_id}/revisions/1/pdf").status_code == 403
    assert anonymous.get(f"/documents/{public_id}.pdf").status_code == 302          # to the log-in page
    assert anonymous.get(f"/api/v1/documents/{public_id}").status_code == 401

    assert stamp_via_api(purchaser, public_id, bound["purchaser"], purchaser_signer).status_code == 201
    assert agency.get(f"/documents/{public_id}.pdf").status_code == 200
    assert agency.get(f"/documents/{public_id}/revisions/1.pdf").status_code == 200
    assert supplier.get(f"/documents/{public_id}.pdf").status_code == 403
    assert purchaser.get(f"/documents/{public_id}/revisions/3.pdf").status_code == 404
    assert purchaser.get("/documents/ZZZZ-ZZZZ-ZZZZ-ZZZZ.pdf").status_code == 404
    assert purchaser.get("/api/v1/documents/%00%00").status_code == 404


def test_a_damaged_file_is_not_served(world):
    app, _, parties = world
    purchaser, agreement = draft(app, parties)
    public_id = agreement["document"]["public_id"]
    with app.app_context():
        document = db.session.scalars(select(Document).where(Document.public_id == public_id)).one()
        revision = db.session.scalars(select(DocumentRevision).where(DocumentRevision.document_id == document.id)).one()
        path = file_path(app.config["FILE_STORE"], REVISIONS, revision.sha256)
    path.write_bytes(path.read_bytes()[:-10] + b"tampered!!")
    answer = purchaser.get(f"/documents/{public_id}.pdf")
    assert answer.status_code == 409
    assert "损坏" in answer.get_data(as_text=True)
    path.unlink()
    assert purchaser.get(f"/api/v1/documents/{public_id}/revisions/1/pdf").json["error"]["code"] == "document_file_damaged"
