"""Which notifier delivers the outbox: the setting ``NOTIFIER`` names a factory (``"module:function"``
or a callable) that takes the application and returns a :class:`bidding.notify.Notifier`; the
default :func:`outbox_notifier` keeps every message in the outbox (development)."""
from __future__ import annotations

import importlib
from typing import Any

from flask import Flask

from bidding.notify import Notifier, OutboxNotifier

DEFAULT_FACTORY = "app.scheduler.notifier:outbox_notifier"


def notifier(app: Flask) -> Notifier:
    """The application's notifier, built on first use from ``NOTIFIER``."""
    built = app.extensions.get("notifier")
    if built is None:
        factory: Any = app.config.get("NOTIFIER") or DEFAULT_FACTORY
        if isinstance(factory, str):
            module, _, name = factory.partition(":")
            factory = getattr(importlib.import_module(module), name)
        built = app.extensions["notifier"] = factory(app)
    return built


def outbox_notifier(app: Flask) -> OutboxNotifier:
    """The development notifier: nothing leaves the machine; operators read ``/operator/outbox``."""
    return OutboxNotifier()
