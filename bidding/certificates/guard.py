"""The change guard (R10): before any renewal, change or replacement of a certificate, the service
desk asks :func:`change_blocked_by` which pending items hold it.

Areas that keep items depending on a certificate register a *provider*::

    @register_pending_provider
    def pending_bids(uow, binding) -> Iterable[PendingItem]: ...

The bidding area registers pending bids encrypted to the certificate, the tenders area tender
documents it signed (R10: a renewed certificate could no longer decrypt them). The guard itself
knows no such area.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bidding.certificates.errors import BindingNotFound, CertificateChangeBlocked
from bidding.certificates.models import BindingState, CertificateBinding
from bidding.uow import UnitOfWork


@dataclass(frozen=True)
class PendingItem:
    """Something pending that holds a certificate: its kind (e.g. "bid"), id, a title a person
    recognises, its deadline (None when it has none) and what to do to release the certificate."""

    kind: str
    id: str
    title: str
    deadline: datetime | None
    advice: str

    def describe(self) -> str:
        when = f"，截止 {self.deadline:%Y-%m-%d %H:%M} UTC" if self.deadline else ""
        return f"{self.title}（{self.kind} {self.id}{when}）：{self.advice}"

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "id": self.id, "title": self.title,
                "deadline": self.deadline.isoformat() if self.deadline else None, "advice": self.advice}


PendingProvider = Callable[[UnitOfWork, CertificateBinding], Iterable[PendingItem]]
_providers: list[PendingProvider] = []


def register_pending_provider(provider: PendingProvider) -> PendingProvider:
    """Add ``provider`` (once; usable as a decorator)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_pending_provider(provider: PendingProvider) -> None:
    """Remove ``provider`` if registered (tests, and areas switched off)."""
    if provider in _providers:
        _providers.remove(provider)


def change_blocked_by(uow: UnitOfWork, binding: CertificateBinding | str) -> list[PendingItem]:
    """Every pending item that holds the certificate, by deadline (items without one last).

    ``binding``: a binding, or the certificate's SHA-256 fingerprint (hex) of an active binding."""
    if isinstance(binding, str):
        binding = _active_binding(uow, binding)
    items = [item for provider in tuple(_providers) for item in provider(uow, binding)]
    return sorted(items, key=lambda i: (i.deadline is None, i.deadline or datetime.min, i.kind, i.id))


def ensure_change_allowed(uow: UnitOfWork, binding: CertificateBinding | str) -> None:
    """Raise :class:`CertificateChangeBlocked` naming each pending item and what to do, when any."""
    items = change_blocked_by(uow, binding)
    if items:
        raise CertificateChangeBlocked(items)


def _active_binding(uow: UnitOfWork, fingerprint: str) -> CertificateBinding:
    found = uow.session.scalars(select(CertificateBinding).where(
        CertificateBinding.fingerprint_sha256 == fingerprint.strip().lower(),
        CertificateBinding.state == BindingState.ACTIVE)).first()
    if found is None:
        raise BindingNotFound(fingerprint=fingerprint)
    return found
