"""award: the purchaser's confirmed winner, the documents that carry it, the result notices

Revision ID: b8f2c3d4e5a6
Revises: a7e1b2c3d4f5
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b8f2c3d4e5a6"
down_revision = "a7e1b2c3d4f5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('winner_party_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('state', sa.Enum('proposed', 'confirmed', 'notified', name='award_state', native_enum=False, length=20), nullable=False),
    sa.Column('confirmation_document_id', sa.Integer(), nullable=True),
    sa.Column('notice_document_id', sa.Integer(), nullable=True),
    sa.Column('contract_within_days', sa.Integer(), nullable=True),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_award_bid_id_bid')),
    sa.ForeignKeyConstraint(['confirmation_document_id'], ['document.id'], name=op.f('fk_award_confirmation_document_id_document')),
    sa.ForeignKeyConstraint(['notice_document_id'], ['document.id'], name=op.f('fk_award_notice_document_id_document')),
    sa.ForeignKeyConstraint(['proposed_by'], ['account.id'], name=op.f('fk_award_proposed_by_account')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_award_tender_id_tender')),
    sa.ForeignKeyConstraint(['winner_party_id'], ['party.id'], name=op.f('fk_award_winner_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award')),
    sa.UniqueConstraint('tender_id', name=op.f('uq_award_tender_id'))
    )
    op.create_index(op.f('ix_award_winner_party_id'), 'award', ['winner_party_id'], unique=False)
    op.create_table('award_result_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('score', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['award_id'], ['award.id'], name=op.f('fk_award_result_notice_award_id_award')),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_award_result_notice_bid_id_bid')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_award_result_notice_document_id_document')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_award_result_notice_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_result_notice')),
    sa.UniqueConstraint('award_id', 'bid_id', name='uq_award_result_notice_award_bid'),
    sa.UniqueConstraint('document_id', name=op.f('uq_award_result_notice_document_id'))
    )
    op.create_index(op.f('ix_award_result_notice_award_id'), 'award_result_notice', ['award_id'], unique=False)
    op.create_index(op.f('ix_award_result_notice_party_id'), 'award_result_notice', ['party_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_award_result_notice_party_id'), table_name='award_result_notice')
    op.drop_index(op.f('ix_award_result_notice_award_id'), table_name='award_result_notice')
    op.drop_table('award_result_notice')
    op.drop_index(op.f('ix_award_winner_party_id'), table_name='award')
    op.drop_table('award')
