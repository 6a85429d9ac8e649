"""The application the scheduler tests start in a subprocess (``flask --app witness_app:create``):
the real application plus one effect handler, ``test.witness``, that inserts one row per effect
into the ``effect_witness`` table (a plain INSERT: an effect committed twice would fail on the
primary key) and appends a line per invocation to ``$WITNESS_LOG``. With ``$WITNESS_SLOW=1`` it
then sleeps ``payload["sleep"]`` seconds, holding its transaction open, so a test can kill the
process in the middle."""
from __future__ import annotations

import os
import time

from sqlalchemy import text

from bidding.scheduling import Effect, register_effect_handler
from bidding.uow import UnitOfWork

KIND = "test.witness"
CREATE_TABLE = "CREATE TABLE effect_witness (effect_id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, attempt INTEGER NOT NULL)"


def witness(uow: UnitOfWork, effect: Effect) -> None:
    uow.session.execute(text("INSERT INTO effect_witness (effect_id, pid, attempt) VALUES (:e, :p, :a)"),
                        {"e": effect.id, "p": os.getpid(), "a": effect.attempt})
    log = os.environ.get("WITNESS_LOG")
    if log:
        with open(log, "a") as out:
            out.write(f"{effect.id} {os.getpid()} {effect.attempt}\n")
            out.flush()
            os.fsync(out.fileno())
    pause = float(effect.payload.get("sleep", 0))
    if os.environ.get("WITNESS_SLOW") == "1" or effect.payload.get("always_sleep"):
        time.sleep(pause)


register_effect_handler(KIND, witness)


def create():  # type: ignore[no-untyped-def]
    from app import create_app
    instance = os.environ["WITNESS_INSTANCE"]
    return create_app({"SQLALCHEMY_DATABASE_URI": os.environ["WITNESS_DB"], "INSTANCE_PATH": instance,
                       "SECRET_KEY": "test-secret-key", "FILE_STORE": f"{instance}/files",
                       "DEVCA_DIR": f"{instance}/devca", "CRL_DIR": f"{instance}/devca/crl",
                       "TRUST_ANCHORS_DIR": f"{instance}/devca/anchors"})
