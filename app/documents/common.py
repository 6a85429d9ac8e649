"""What the documents, agreements and verification doors share: the file store, what stamping
needs from the application (trust list, CRLs, the platform's TSA), the verification link printed on
every document, and the party's certificates that may stamp, for the stamping panel."""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from flask import current_app

from app.certificates.proof import crls
from app.pkiweb.tsa import time_stamp_authority
from app.trust import trust_list
from bidding.certificates.models import BindingState, CertificatePurpose
from bidding.certificates.services import list_bindings, seal_valid
from bidding.documents.services import Stamping
from bidding.uow import UnitOfWork


def file_store() -> Path:
    return Path(current_app.config["FILE_STORE"])


def stamping() -> Stamping:
    """The outside things a stamp needs. The platform's TSA (``/tsa``'s own authority) is built
    only when a stamp is finished: when it is not set up that is a 503, after every refusal."""
    return Stamping(store=file_store(), trust=trust_list(), crls=tuple(crls()), timestamper=time_stamp_authority)


def verify_url(public_id: str) -> str:
    """The verification link printed on a document (``PUBLIC_BASE_URL``)."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify?doc={public_id}"


def stamp_candidates(uow: UnitOfWork, party_id: int) -> list[dict[str, Any]]:
    """The party's bound signing certificates as the stamping panel shows them: those that may stamp
    now with their seal image, the others with the reason they may not (R4, R6, R22)."""
    now = uow.clock.now()
    out = []
    for status in list_bindings(uow, party_id):
        b = status.binding
        if b.state != BindingState.ACTIVE or b.purpose != CertificatePurpose.SIGNING:
            continue
        reason = None
        if not b.may_stamp:
            reason = "非本平台专用证书，只能登录，不能签章 (R4)"
        elif b.seal_image is None or not b.is_main_key:
            reason = "副锁：未加载印章，不能签章 (R6)"
        elif not seal_valid(b, now):
            reason = "证书不在有效期内，印章随之无效 (R22)"
        out.append({"binding_id": b.id, "fingerprint": b.fingerprint_sha256, "subject": b.subject,
                    "algorithm": b.algorithm, "seal_kind": b.seal_kind, "not_after": b.not_after.isoformat(),
                    "seal": base64.b64encode(b.seal_image).decode("ascii") if b.seal_image and reason is None else None,
                    "refusal": reason})
    return out
