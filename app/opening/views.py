"""The hall page: the state as the account sees it now (the script polls the same state every 2 s),
with what the page's agent panels need: the record to stamp and the party's seals for the agency,
the party's bound signing certificates for a bidder's decryption (the key-release statement is
signed with one of them)."""
from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user

from app import context
from app.api.opening_hall import HALL_ROLES, hall_json
from app.auth.access import roles_required
from app.certificates.proof import request_origin
from app.documents.common import stamp_candidates, verify_url
from bidding.certificates.models import BindingState, CertificatePurpose
from bidding.certificates.services import list_bindings
from bidding.opening.hall import HallRole, hall_state


@roles_required(*HALL_ROLES)
def hall_page(tender_id: int):  # type: ignore[no-untyped-def]
    uow = context.uow()
    state = hall_state(uow, tender_id, current_user, uow.clock.now())
    role, record = state.viewer.role, state.record
    stamp = record if role is HallRole.AGENCY and record is not None and not record.stamped else None
    signing = []
    if role is HallRole.BIDDER:          # the page may turn to the decryption while open
        signing = [s.binding.fingerprint_sha256 for s in list_bindings(uow, current_user.party_id)
                   if s.binding.purpose == CertificatePurpose.SIGNING and s.binding.state == BindingState.ACTIVE]
    return render_template(
        "opening/hall.html", s=state, t=state.tender, state=hall_json(state), roles=HallRole,
        document=_StampTarget(stamp.document) if stamp else None,
        candidates=stamp_candidates(uow, current_user.party_id) if stamp else [], signing=signing,
        agent_url=current_app.config["AGENT_URL"], platform_origin=request_origin(),
        verify_link=verify_url(stamp.document) if stamp else None)


class _StampTarget:
    """What templates/documents/_stamp_panel.html reads of the document to stamp."""

    def __init__(self, public_id: str) -> None:
        self.public_id = public_id
