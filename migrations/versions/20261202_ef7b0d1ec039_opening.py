"""the opening: opening keys, each bid's opening, the hall, sign-ins and objections

The opening area (bidding/opening/models.py, docs/opening.md): opening_key (a tender's opening key,
its private key encrypted and erased at the window's close), bid_opening (one bid's way through the
opening: one-time context, outcome, price and items, R15 facts), opening_hall (the head of a
tender's hall event chain; the opening record and transcript once published), hall_sign_in (签到)
and opening_objection (异议).

Revision ID: ef7b0d1ec039
Revises: de6a9c0dbf28
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ef7b0d1ec039"
down_revision = "de6a9c0dbf28"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hall_sign_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_hall_sign_in_account_id_account')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_hall_sign_in_party_id_party')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_hall_sign_in_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_sign_in')),
    sa.UniqueConstraint('tender_id', 'party_id', name='uq_hall_sign_in_tender_party')
    )
    with op.batch_alter_table('hall_sign_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_sign_in_tender_id'), ['tender_id'], unique=False)

    op.create_table('opening_hall',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('hall_seq', sa.Integer(), nullable=False),
    sa.Column('last_sha256', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('record_document_id', sa.Integer(), nullable=True),
    sa.Column('transcript_der', sa.LargeBinary(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['record_document_id'], ['document.id'], name=op.f('fk_opening_hall_record_document_id_document')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_opening_hall_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_hall')),
    sa.UniqueConstraint('tender_id', name=op.f('uq_opening_hall_tender_id'))
    )
    op.create_table('opening_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('certificate_der', sa.LargeBinary(), nullable=False),
    sa.Column('fingerprint_sha256', sa.String(length=64), nullable=False),
    sa.Column('encrypted_key_pem', sa.LargeBinary(), nullable=True),
    sa.Column('token_label', sa.String(length=64), nullable=True),
    sa.Column('token_key_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_opening_key_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_key')),
    sa.UniqueConstraint('tender_id', name=op.f('uq_opening_key_tender_id'))
    )
    op.create_table('opening_objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_opening_objection_account_id_account')),
    sa.ForeignKeyConstraint(['answered_by'], ['account.id'], name=op.f('fk_opening_objection_answered_by_account')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_opening_objection_party_id_party')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_opening_objection_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_objection')),
    sa.UniqueConstraint('tender_id', 'seq', name='uq_opening_objection_tender_seq')
    )
    with op.batch_alter_table('opening_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_objection_tender_id'), ['tender_id'], unique=False)

    op.create_table('bid_opening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('awaiting', 'released', 'decrypted', 'failed', 'invalid', 'withdrawn', name='bid_opening_state', native_enum=False, length=20), nullable=False),
    sa.Column('context', sa.String(length=64), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_to', sa.Integer(), nullable=True),
    sa.Column('recipient_binding_id', sa.Integer(), nullable=True),
    sa.Column('signer_binding_id', sa.Integer(), nullable=True),
    sa.Column('decrypted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('price', sa.String(length=40), nullable=True),
    sa.Column('currency', sa.String(length=10), nullable=True),
    sa.Column('items', sa.Text(), nullable=True),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=True),
    sa.Column('failure_code', sa.String(length=60), nullable=True),
    sa.Column('failure_message', sa.Text(), nullable=True),
    sa.Column('platform_error', sa.Boolean(), nullable=False),
    sa.Column('platform_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_opening_bid_id_bid')),
    sa.ForeignKeyConstraint(['recipient_binding_id'], ['certificate_binding.id'], name=op.f('fk_bid_opening_recipient_binding_id_certificate_binding')),
    sa.ForeignKeyConstraint(['released_to'], ['account.id'], name=op.f('fk_bid_opening_released_to_account')),
    sa.ForeignKeyConstraint(['signer_binding_id'], ['certificate_binding.id'], name=op.f('fk_bid_opening_signer_binding_id_certificate_binding')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_bid_opening_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_opening')),
    sa.UniqueConstraint('bid_id', name=op.f('uq_bid_opening_bid_id')),
    sa.UniqueConstraint('context', name=op.f('uq_bid_opening_context'))
    )
    with op.batch_alter_table('bid_opening', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_opening_tender_id'), ['tender_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('bid_opening', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_opening_tender_id'))

    op.drop_table('bid_opening')
    with op.batch_alter_table('opening_objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_objection_tender_id'))

    op.drop_table('opening_objection')
    op.drop_table('opening_key')
    op.drop_table('opening_hall')
    with op.batch_alter_table('hall_sign_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_sign_in_tender_id'))

    op.drop_table('hall_sign_in')
