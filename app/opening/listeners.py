"""What the window's close needs from the application: the opening record is generated for the
agency's stamp inside :func:`bidding.opening.services.close_window`'s transaction (docs/opening.md:
"the opening record PDF is generated for the agency to stamp"), with the file store and the
verification link of the running app. A record that cannot be made then does not stop R15: it is
logged, and the agency makes it from the hall (``POST …/opening/record``)."""
from __future__ import annotations

import logging

from flask import has_app_context

from app.documents.common import file_store, verify_url
from bidding.opening.record import generate_record, record_of
from bidding.opening.services import register_window_closed_listener
from bidding.tenders.models import Tender
from bidding.uow import UnitOfWork

log = logging.getLogger(__name__)


def make_record_at_close(uow: UnitOfWork, tender: Tender) -> None:
    if not has_app_context():          # a close outside the application (a bare test): the agency makes it later
        return
    if record_of(uow, tender)[1] is not None:     # the agency made it already (the close's effect came late)
        return
    try:
        with uow.session.begin_nested():
            generate_record(uow, file_store(), tender, verify_url=verify_url)
    except Exception:                  # the record is not worth losing R15 for
        log.exception("opening record of %s not generated at the window's close", tender.public_id)


register_window_closed_listener(make_record_at_close)
