"""contracts: the contract of an award, its parties' stamps and its filing

Revision ID: c9a3d4e5f6b7
Revises: b8f2c3d4e5a6
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "c9a3d4e5f6b7"
down_revision = "b8f2c3d4e5a6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
