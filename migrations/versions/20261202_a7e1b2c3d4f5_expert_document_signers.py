"""expert document signers: experts sign platform documents (the evaluation report) in PAdES

Revision ID: a7e1b2c3d4f5
Revises: ac1e5f6a7b82
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "a7e1b2c3d4f5"
down_revision = "ac1e5f6a7b82"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
