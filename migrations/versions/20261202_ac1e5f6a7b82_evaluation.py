"""evaluation: the scheme, the experts' signed sheets, the summary

The evaluation area (bidding/evaluation/models.py, docs/evaluation.md): evaluation_scheme (one per
tender, canonical JSON), evaluation_sheet (each expert's qualification, score, opinion and summary
sheets as the canonical bytes signed, with the expert's signature) and evaluation_summary.

Revision ID: ac1e5f6a7b82
Revises: fb9d2e3f4a51
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ac1e5f6a7b82"
down_revision = "fb9d2e3f4a51"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evaluation_scheme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by'], ['account.id'], name=op.f('fk_evaluation_scheme_set_by_account')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_evaluation_scheme_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_scheme')),
    sa.UniqueConstraint('tender_id', name=op.f('uq_evaluation_scheme_tender_id'))
    )
    op.create_table('evaluation_summary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('computed_by', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report_pdf', sa.LargeBinary(), nullable=True),
    sa.Column('report_sha256', sa.String(length=64), nullable=True),
    sa.Column('report_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['computed_by'], ['account.id'], name=op.f('fk_evaluation_summary_computed_by_account')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_evaluation_summary_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_summary')),
    sa.UniqueConstraint('tender_id', name=op.f('uq_evaluation_summary_tender_id'))
    )
    op.create_table('evaluation_sheet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('qualification', 'score', 'opinion', 'summary', 'report', name='evaluation_sheet_kind',
                              native_enum=False, length=20), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('filled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_evaluation_sheet_bid_id_bid')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_evaluation_sheet_expert_id_expert')),
    sa.ForeignKeyConstraint(['signature_id'], ['expert_signature.id'],
                            name=op.f('fk_evaluation_sheet_signature_id_expert_signature')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_evaluation_sheet_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_sheet')),
    sa.UniqueConstraint('tender_id', 'expert_id', 'subject', name='uq_evaluation_sheet_subject')
    )
    with op.batch_alter_table('evaluation_sheet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_sheet_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_sheet_tender_id'), ['tender_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evaluation_sheet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_sheet_tender_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_sheet_expert_id'))
    op.drop_table('evaluation_sheet')
    op.drop_table('evaluation_summary')
    op.drop_table('evaluation_scheme')
