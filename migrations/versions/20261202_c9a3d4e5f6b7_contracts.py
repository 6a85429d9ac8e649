"""contracts: the contract of an award, its parties' stamps and its filing

Revision ID: c9a3d4e5f6b7
Revises: b8f2c3d4e5a6
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c9a3d4e5f6b7"
down_revision = "b8f2c3d4e5a6"
branch_labels = None
depends_on = None

STATES = ("draft", "signed_by_purchaser", "signed_by_both", "filed", "refused")
ACTIONS = ("drafted", "revised", "stamped_by_purchaser", "stamped_by_supplier", "refused", "filed")


def upgrade() -> None:
    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('purchaser_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=10), nullable=False),
    sa.Column('payment_terms', sa.Text(), nullable=False),
    sa.Column('delivery_place', sa.String(length=200), nullable=False),
    sa.Column('delivery_date', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum(*STATES, name='contract_state', native_enum=False, length=30), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['award_id'], ['award.id'], name=op.f('fk_contract_award_id_award')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_contract_document_id_document')),
    sa.ForeignKeyConstraint(['purchaser_id'], ['party.id'], name=op.f('fk_contract_purchaser_id_party')),
    sa.ForeignKeyConstraint(['supplier_id'], ['party.id'], name=op.f('fk_contract_supplier_id_party')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_contract_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract')),
    sa.UniqueConstraint('award_id', name=op.f('uq_contract_award_id')),
    sa.UniqueConstraint('document_id', name=op.f('uq_contract_document_id'))
    )
    op.create_index(op.f('ix_contract_purchaser_id'), 'contract', ['purchaser_id'], unique=False)
    op.create_index(op.f('ix_contract_state'), 'contract', ['state'], unique=False)
    op.create_index(op.f('ix_contract_supplier_id'), 'contract', ['supplier_id'], unique=False)
    op.create_index(op.f('ix_contract_tender_id'), 'contract', ['tender_id'], unique=False)
    op.create_table('contract_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.Enum(*ACTIONS, name='contract_action', native_enum=False, length=30), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('document_public_id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_event_contract_id_contract')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_contract_event_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_event'))
    )
    op.create_index(op.f('ix_contract_event_contract_id'), 'contract_event', ['contract_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_contract_event_contract_id'), table_name='contract_event')
    op.drop_table('contract_event')
    op.drop_index(op.f('ix_contract_tender_id'), table_name='contract')
    op.drop_index(op.f('ix_contract_supplier_id'), table_name='contract')
    op.drop_index(op.f('ix_contract_state'), table_name='contract')
    op.drop_index(op.f('ix_contract_purchaser_id'), table_name='contract')
    op.drop_table('contract')
