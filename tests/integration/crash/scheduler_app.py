"""The application the scheduler crash test starts (``flask --app scheduler_app:create scheduler``):
the real application with its real effect handlers (``register_handlers``), settings as JSON in
``$EBID_LIVE_SETTINGS`` (scripts/bench/live_platform.py). With ``$CRASH_HOLD`` set, a window-closed
listener runs last inside :func:`bidding.opening.services.close_window`'s transaction — after R15 was
applied to every bid and the hall event recorded, before the commit — writes that file and sleeps,
so the test can SIGKILL the process exactly there."""
from __future__ import annotations

import os
import time

from bidding.opening.services import register_window_closed_listener


def _hold(uow, tender) -> None:  # type: ignore[no-untyped-def]
    path = os.environ.get("CRASH_HOLD")
    if not path:
        return
    uow.session.flush()                    # every change of the close is in the open transaction
    with open(path, "w") as out:
        out.write(f"{os.getpid()} {tender.public_id}\n")
    time.sleep(float(os.environ.get("CRASH_HOLD_SECONDS", "120")))


def create():  # type: ignore[no-untyped-def]
    import live_platform
    application = live_platform.create()
    register_window_closed_listener(_hold)       # after the platform's own listeners
    return application
