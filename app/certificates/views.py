"""The certificate pages. Both show only the logged-in staff account's own party; the binding
itself is done by the page's script through ``POST /api/v1/certificates``."""
from __future__ import annotations

import base64

from flask import current_app, render_template
from flask_login import current_user

from app import context
from app.auth.access import roles_required
from app.certificates.proof import request_origin
from bidding.accounts.models import Role
from bidding.certificates.services import list_bindings, seal_valid
from pki.seal import SEAL_KINDS

STAFF = (Role.SUPPLIER_STAFF, Role.AGENCY_STAFF, Role.PURCHASER_STAFF)


@roles_required(*STAFF)
def index():  # type: ignore[no-untyped-def]
    """The party's bindings: subject, type, purpose, seal, may stamp (and why not), expiry, state."""
    statuses = list_bindings(context.uow(), current_user.party_id)
    now = context.clock().now()
    seals = {s.binding.id: base64.b64encode(s.binding.seal_image).decode("ascii")
             for s in statuses if s.binding.seal_image}
    valid = {s.binding.id: seal_valid(s.binding, now) for s in statuses}
    names = {s.binding.id: _common_name(s.binding.subject) for s in statuses}
    return render_template("certificates/index.html", statuses=statuses, seals=seals, seal_valid=valid, names=names)


@roles_required(*STAFF)
def bind():  # type: ignore[no-untyped-def]
    """Bind a certificate: the page talks to the local agent (``AGENT_URL``) and to the API."""
    return render_template("certificates/bind.html", agent_url=current_app.config["AGENT_URL"],
                           platform_origin=request_origin(), seal_kinds=SEAL_KINDS)



def _common_name(subject: str) -> str:
    """The subject's common name (asn1crypto's human-friendly form), else the whole subject."""
    for part in subject.split(", "):
        if part.startswith("Common Name: "):
            return part.removeprefix("Common Name: ")
    return subject
