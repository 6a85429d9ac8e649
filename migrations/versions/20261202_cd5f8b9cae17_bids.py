"""bids, resumable uploads and receipts

The bids area (bidding/bids/models.py): bid (the accepted envelope's facts: size, SHA-256, SM3,
received_at; at most one submitted bid per bidder and tender, a partial unique index),
bid_recipient (the bound certificates an envelope names: the R10 guard), bid_receipt (the signed
receipts) and bid_upload (resumable uploads in progress, docs/uploads.md).

Revision ID: cd5f8b9cae17
Revises: bc4e7a8b9d06
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cd5f8b9cae17"
down_revision = "bc4e7a8b9d06"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('submitted', 'withdrawn', 'replaced', 'decrypted', 'valid', 'invalid', 'decryption_failed', name='bid_state', native_enum=False, length=30), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('sm3', sa.String(length=64), nullable=False),
    sa.Column('envelope_format', sa.String(length=10), nullable=False),
    sa.Column('content_type', sa.String(length=30), nullable=False),
    sa.Column('cipher', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_bid_party_id_party')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['bid.id'], name=op.f('fk_bid_replaced_by_id_bid')),
    sa.ForeignKeyConstraint(['replaces_id'], ['bid.id'], name=op.f('fk_bid_replaces_id_bid')),
    sa.ForeignKeyConstraint(['submitted_by'], ['account.id'], name=op.f('fk_bid_submitted_by_account')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_bid_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid')),
    sa.UniqueConstraint('public_id', name=op.f('uq_bid_public_id'))
    )
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_tender_id'), ['tender_id'], unique=False)
        batch_op.create_index('uq_bid_submitted_tender_party', ['tender_id', 'party_id'], unique=True, sqlite_where=sa.text("state = 'submitted'"), postgresql_where=sa.text("state = 'submitted'"))

    op.create_table('bid_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('der', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_receipt_bid_id_bid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_receipt')),
    sa.UniqueConstraint('bid_id', 'action', name='uq_bid_receipt_bid_action')
    )
    with op.batch_alter_table('bid_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_receipt_bid_id'), ['bid_id'], unique=False)

    op.create_table('bid_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('binding_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint_sha256', sa.String(length=64), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_recipient_bid_id_bid')),
    sa.ForeignKeyConstraint(['binding_id'], ['certificate_binding.id'], name=op.f('fk_bid_recipient_binding_id_certificate_binding')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_recipient')),
    sa.UniqueConstraint('bid_id', 'binding_id', name='uq_bid_recipient_bid_binding')
    )
    with op.batch_alter_table('bid_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_recipient_bid_id'), ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_recipient_binding_id'), ['binding_id'], unique=False)

    op.create_table('bid_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('received', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.Enum('receiving', 'completed', 'refused', 'cancelled', name='bid_upload_state', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_byte_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refusal_code', sa.String(length=60), nullable=True),
    sa.Column('refusal_message', sa.Text(), nullable=True),
    sa.Column('bid_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_bid_upload_account_id_account')),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_upload_bid_id_bid')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_bid_upload_party_id_party')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_bid_upload_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_upload')),
    sa.UniqueConstraint('public_id', name=op.f('uq_bid_upload_public_id'))
    )
    with op.batch_alter_table('bid_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_upload_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_upload_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_upload_tender_id'), ['tender_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bid_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_upload_tender_id'))
        batch_op.drop_index(batch_op.f('ix_bid_upload_state'))
        batch_op.drop_index(batch_op.f('ix_bid_upload_party_id'))

    op.drop_table('bid_upload')
    with op.batch_alter_table('bid_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_recipient_binding_id'))
        batch_op.drop_index(batch_op.f('ix_bid_recipient_bid_id'))

    op.drop_table('bid_recipient')
    with op.batch_alter_table('bid_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_receipt_bid_id'))

    op.drop_table('bid_receipt')
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.drop_index('uq_bid_submitted_tender_party', sqlite_where=sa.text("state = 'submitted'"), postgresql_where=sa.text("state = 'submitted'"))
        batch_op.drop_index(batch_op.f('ix_bid_tender_id'))
        batch_op.drop_index(batch_op.f('ix_bid_state'))
        batch_op.drop_index(batch_op.f('ix_bid_sha256'))
        batch_op.drop_index(batch_op.f('ix_bid_party_id'))

    op.drop_table('bid')
