"""The sweep of expired event keys (过期事件密钥清除): part of the housekeeping (:mod:`bidding.housekeeping`).

An expert's event certificate (:mod:`bidding.experts.signing`) certifies a key pair generated on
the platform's token for two hours; once it has expired the key signs nothing
(:func:`~bidding.experts.signing.confirm_signature` refuses), so it has no reason to stay on the
token. :func:`sweep_event_keys` destroys the token objects (private key, public key, certificate:
everything with the certificate's CKA_ID) of every event certificate that expired more than
:data:`GRACE` ago, one certificate at a time, and records each in the audit log
(:data:`DESTROYED`, object ``expert_event_certificate``:id, with how many objects the token
destroyed). That audit entry is the certificate's state: a certificate expired more than the grace
ago without one still has its key on the token, and the next run tries again. The certificate row
and the signatures made with the key stay (they are the record).

Harmless to repeat: a key already gone counts 0 objects and is recorded once. A token that cannot
be opened or refuses leaves the rows as they are (logged) for the next run; keys that live on
another token than the one given (the platform's token was renamed) are left and logged.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import String, cast, select

from bidding.audit.models import AuditEntry
from bidding.errors import DomainError
from bidding.experts.models import EventCertificate
from bidding.uow import UnitOfWork
from pki.errors import PkiError
from pki.pkcs11 import TokenSession

log = logging.getLogger(__name__)

DESTROYED = "expert.event_key_destroyed"
#: how long after its certificate's expiry a key stays: a signature begun just before the expiry
#: (checked before the token signs) has finished long before
GRACE = timedelta(minutes=15)


def keys_to_destroy(uow: UnitOfWork, grace: timedelta = GRACE) -> list[EventCertificate]:
    """The event certificates expired more than ``grace`` ago whose key is not recorded destroyed."""
    destroyed = select(AuditEntry.object_id).where(AuditEntry.action == DESTROYED,
                                                   AuditEntry.object_type == EventCertificate.__tablename__)
    return list(uow.session.scalars(select(EventCertificate).where(
        EventCertificate.not_after <= uow.clock.now() - grace,
        cast(EventCertificate.id, String).not_in(destroyed)).order_by(EventCertificate.id)))


def sweep_event_keys(uow: UnitOfWork, token: Callable[[], TokenSession], grace: timedelta = GRACE) -> int:
    """Destroy on the token the keys of the event certificates expired more than ``grace`` ago
    and record each (one commit per certificate, which also commits what the caller's transaction
    holds); how many were recorded now. The token is opened only when there is something to destroy."""
    due = keys_to_destroy(uow, grace)
    if not due:
        return 0
    try:
        session = token()
    except (DomainError, PkiError) as exc:
        log.error("expired event keys not destroyed: the platform token is unavailable (%s)",
                  getattr(exc, "code", type(exc).__name__))
        return 0
    elsewhere = [row.id for row in due if row.token_label != session.label]
    if elsewhere:
        log.warning("%d expired event key(s) live on another token than %r, left there: certificates %s",
                    len(elsewhere), session.label, elsewhere)
    recorded = 0
    # no rollback here: the caller's transaction may hold work of its own (the housekeeping's next
    # purge), which the first commit carries
    for row in (row for row in due if row.token_label == session.label):
        try:
            objects = session.destroy_objects(key_id=bytes.fromhex(row.key_id_hex))
        except PkiError as exc:
            log.error("event key of certificate %s not destroyed on the token: %s", row.id, exc.code)
            continue
        uow.audit(DESTROYED, row, expert_id=row.expert_id, serial=row.serial, token_label=row.token_label,
                  not_after=row.not_after.isoformat(), token_objects=objects)
        uow.commit()
        recorded += 1
    return recorded


__all__ = ["DESTROYED", "GRACE", "keys_to_destroy", "sweep_event_keys"]
