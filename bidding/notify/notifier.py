"""The notifier: how a message leaves the platform. Pluggable (setting ``NOTIFIER``): e-mail, SMS or
a government messaging gateway in production; :class:`OutboxNotifier` in development."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """A message as a notifier sees it. ``message_id`` is unique and stable: a notifier that talks
    to an outside service passes it as the idempotency key, so a delivery retried after a crash
    between "sent" and "recorded" is not sent twice where the service supports it."""

    message_id: int
    recipient: str
    party_id: int | None
    account_id: int | None
    subject: str
    text: str
    link: str | None


class Notifier(Protocol):
    """Delivers one message or raises (the scheduler retries with back-off)."""

    name: str

    def deliver(self, message: Outgoing) -> str | None:
        """Send ``message``; return the channel's reference for it (a message id), if any."""


class OutboxNotifier:
    """The development notifier: nothing leaves the machine. The message stays in the outbox
    table, marked delivered to ``outbox``, where ``/operator/outbox`` lists it."""

    name = "outbox"

    def deliver(self, message: Outgoing) -> str | None:
        return f"outbox:{message.message_id}"
