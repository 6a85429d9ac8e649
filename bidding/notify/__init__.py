"""Notices (通知) in the platform and through a pluggable notifier.

:func:`notify` is what a use case calls: the in-platform notice (``bidding.parties.notices``) and
one outbound message per recipient in the outbox, both in the use case's transaction, with an
effect to deliver each message (``bidding.scheduling``). The scheduler process delivers them through
the notifier the application configures (setting ``NOTIFIER``; development: :class:`OutboxNotifier`,
whose outbox operators read at ``/operator/outbox``), retrying with back-off when it fails.
"""
from bidding.notify.models import MessageState, OutboxMessage
from bidding.notify.notifier import Notifier, Outgoing, OutboxNotifier
from bidding.notify.services import (DELIVER, Notification, OutboxEntry, delivery_handler, notify, notify_contact,
                                     outbox_entries)

__all__ = ["DELIVER", "MessageState", "Notification", "Notifier", "Outgoing", "OutboxEntry", "OutboxMessage",
           "OutboxNotifier", "delivery_handler", "notify", "notify_contact", "outbox_entries"]
