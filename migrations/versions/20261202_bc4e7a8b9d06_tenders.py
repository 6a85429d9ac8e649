"""projects, tenders, lots, tender documents, amendments and tender registrations

procurement_project (采购项目, an agency's for a purchaser under a filed delegation agreement) and
its lots (procurement_lot); tender (招标: its 招标文件 and review opinion documents, its times once
published; the phase is derived from them and the clock, never stored); tender_registration (报名);
tender_amendment (更正公告, published when stamped).

Revision ID: bc4e7a8b9d06
Revises: ab3d6f7a8c95
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "bc4e7a8b9d06"
down_revision = "ab3d6f7a8c95"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('procurement_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('purchaser_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('budget', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['party.id'], name=op.f('fk_procurement_project_agency_id_party')),
    sa.ForeignKeyConstraint(['agreement_id'], ['delegation_agreement.id'], name=op.f('fk_procurement_project_agreement_id_delegation_agreement')),
    sa.ForeignKeyConstraint(['purchaser_id'], ['party.id'], name=op.f('fk_procurement_project_purchaser_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procurement_project'))
    )
    with op.batch_alter_table('procurement_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procurement_project_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_procurement_project_purchaser_id'), ['purchaser_id'], unique=False)

    op.create_table('procurement_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('budget', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['procurement_project.id'], name=op.f('fk_procurement_lot_project_id_procurement_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procurement_lot')),
    sa.UniqueConstraint('project_id', 'seq', name='uq_procurement_lot_project_seq')
    )
    with op.batch_alter_table('procurement_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procurement_lot_project_id'), ['project_id'], unique=False)

    op.create_table('tender',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('purchaser_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('documents_document_id', sa.Integer(), nullable=True),
    sa.Column('review_document_id', sa.Integer(), nullable=True),
    sa.Column('review_conclusion', sa.String(length=20), nullable=True),
    sa.Column('reviewed_sha256', sa.String(length=64), nullable=True),
    sa.Column('bid_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opening_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decryption_window_seconds', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['party.id'], name=op.f('fk_tender_agency_id_party')),
    sa.ForeignKeyConstraint(['documents_document_id'], ['document.id'], name=op.f('fk_tender_documents_document_id_document')),
    sa.ForeignKeyConstraint(['project_id'], ['procurement_project.id'], name=op.f('fk_tender_project_id_procurement_project')),
    sa.ForeignKeyConstraint(['purchaser_id'], ['party.id'], name=op.f('fk_tender_purchaser_id_party')),
    sa.ForeignKeyConstraint(['review_document_id'], ['document.id'], name=op.f('fk_tender_review_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender')),
    sa.UniqueConstraint('public_id', name=op.f('uq_tender_public_id'))
    )
    with op.batch_alter_table('tender', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_purchaser_id'), ['purchaser_id'], unique=False)

    op.create_table('tender_amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('new_bid_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('new_opening_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('old_bid_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('old_opening_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_tender_amendment_document_id_document')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_amendment_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_amendment')),
    sa.UniqueConstraint('document_id', name=op.f('uq_tender_amendment_document_id')),
    sa.UniqueConstraint('tender_id', 'seq', name='uq_tender_amendment_tender_seq')
    )
    with op.batch_alter_table('tender_amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_amendment_tender_id'), ['tender_id'], unique=False)

    op.create_table('tender_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_tender_registration_account_id_account')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_tender_registration_party_id_party')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_registration_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_registration')),
    sa.UniqueConstraint('tender_id', 'party_id', name='uq_tender_registration_tender_party')
    )
    with op.batch_alter_table('tender_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_registration_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_registration_tender_id'), ['tender_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tender_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_registration_tender_id'))
        batch_op.drop_index(batch_op.f('ix_tender_registration_party_id'))

    op.drop_table('tender_registration')
    with op.batch_alter_table('tender_amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_amendment_tender_id'))

    op.drop_table('tender_amendment')
    with op.batch_alter_table('tender', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_purchaser_id'))
        batch_op.drop_index(batch_op.f('ix_tender_published_at'))
        batch_op.drop_index(batch_op.f('ix_tender_project_id'))
        batch_op.drop_index(batch_op.f('ix_tender_agency_id'))

    op.drop_table('tender')
    with op.batch_alter_table('procurement_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procurement_lot_project_id'))

    op.drop_table('procurement_lot')
    with op.batch_alter_table('procurement_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procurement_project_purchaser_id'))
        batch_op.drop_index(batch_op.f('ix_procurement_project_agency_id'))

    op.drop_table('procurement_project')
