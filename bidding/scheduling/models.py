"""The side effects the scheduler owes (定时任务): one row per effect, keyed (kind, subject, due time).

The unique key makes scheduling idempotent (the same effect asked for twice is one row), and the
row's ``state`` moves only by conditional UPDATEs (:mod:`bidding.scheduling.runner`), so two
scheduler processes racing for one effect cannot both run it.

``apscheduler_jobs`` is APScheduler's own job store (``SQLAlchemyJobStore``, the layout of
APScheduler 3.11). The platform never reads or writes it; it is declared here only so that the
schema stays made by migrations alone (the migration creates it, autogenerate knows it).
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, Column, Enum, Float, Index, Integer, LargeBinary, String, Table, Text,
                        UniqueConstraint, Unicode)
from sqlalchemy.orm import Mapped, mapped_column

from bidding.base import Base, UTCDateTime


class EffectState(str, enum.Enum):
    """pending → running (claimed, with a lease) → done; running → failed (retry later) → running …;
    pending | failed → cancelled."""

    PENDING = "pending"        # 待执行
    RUNNING = "running"        # 执行中（已认领）
    DONE = "done"              # 已完成
    FAILED = "failed"          # 失败，待重试
    CANCELLED = "cancelled"    # 已取消

    @property
    def label(self) -> str:
        return {"pending": "待执行", "running": "执行中", "done": "已完成", "failed": "失败待重试",
                "cancelled": "已取消"}[self.value]


class ScheduledEffect(Base):
    """A side effect due at ``due_at``: ``kind`` names its handler, ``subject_id`` what it acts on
    (a tender, an outbound message…), ``payload`` anything else the handler needs (JSON).

    ``ready_at`` is when a runner may next take it: ``due_at`` at first, the retry time after a
    failure, and while it runs the end of the runner's lease (a runner that died leaves the effect
    ``running``; once the lease is over another runner claims it again). ``claim`` names the runner
    (host:pid:random) of the current or last attempt; ``attempts`` counts claims.
    """

    __tablename__ = "scheduled_effect"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "due_at", name="uq_scheduled_effect_key"),
        Index("ix_scheduled_effect_state_ready_at", "state", "ready_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[EffectState] = mapped_column(
        Enum(EffectState, name="effect_state", native_enum=False, length=20,
             values_callable=lambda states: [s.value for s in states]))
    ready_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<ScheduledEffect {self.id} {self.kind}:{self.subject_id} @{self.due_at:%Y-%m-%d %H:%M:%S} {self.state.value}>"


#: APScheduler 3.11's ``SQLAlchemyJobStore`` table, column for column (191: MySQL's key length
#: limit; Float(25): an 8-byte float). See the module docstring.
apscheduler_jobs = Table(
    "apscheduler_jobs", Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
