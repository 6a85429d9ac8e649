"""encryption certificates bound by proof of decryption

certificate_challenge gains the "decrypt" purpose (a non-native enum: no DDL for the value) and,
for it, the certificate being bound and the envelope of random bytes sealed to it
(bidding.certificates.services.start_encryption_binding).

Revision ID: de6a9c0dbf28
Revises: cd5f8b9cae17
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "de6a9c0dbf28"
down_revision = "cd5f8b9cae17"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificate_challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_der', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('envelope', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM certificate_challenge WHERE purpose = 'decrypt'")
    with op.batch_alter_table('certificate_challenge', schema=None) as batch_op:
        batch_op.drop_column('envelope')
        batch_op.drop_column('certificate_der')
