"""documents, stamp sessions and delegation agreements

Documents the platform generates and its parties stamp (document, document_signer,
document_revision, document_stamp_session) and delegation agreements (委托协议) with their history
(delegation_agreement, delegation_agreement_event).

Revision ID: 9a2c5e6f7b84
Revises: 8e1b4d5f6a73
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9a2c5e6f7b84"
down_revision = "8e1b4d5f6a73"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('delegation_agreement', name='document_kind', native_enum=False, length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_by_party_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('current_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_party_id'], ['party.id'], name=op.f('fk_document_created_by_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('public_id', name=op.f('uq_document_public_id'))
    )
    op.create_table('delegation_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchaser_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('procurement_method', sa.String(length=20), nullable=False),
    sa.Column('budget', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('fee', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('fee_terms', sa.Text(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'signed_by_purchaser', 'signed_by_both', 'filed', 'refused', name='agreement_state', native_enum=False, length=30), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('filed_by_party_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['party.id'], name=op.f('fk_delegation_agreement_agency_id_party')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_delegation_agreement_document_id_document')),
    sa.ForeignKeyConstraint(['filed_by_party_id'], ['party.id'], name=op.f('fk_delegation_agreement_filed_by_party_id_party')),
    sa.ForeignKeyConstraint(['purchaser_id'], ['party.id'], name=op.f('fk_delegation_agreement_purchaser_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation_agreement')),
    sa.UniqueConstraint('document_id', name=op.f('uq_delegation_agreement_document_id'))
    )
    with op.batch_alter_table('delegation_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegation_agreement_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegation_agreement_purchaser_id'), ['purchaser_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegation_agreement_state'), ['state'], unique=False)

    op.create_table('document_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('signer_party_id', sa.Integer(), nullable=True),
    sa.Column('signer_binding_id', sa.Integer(), nullable=True),
    sa.Column('field_name', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_revision_document_id_document')),
    sa.ForeignKeyConstraint(['signer_binding_id'], ['certificate_binding.id'], name=op.f('fk_document_revision_signer_binding_id_certificate_binding')),
    sa.ForeignKeyConstraint(['signer_party_id'], ['party.id'], name=op.f('fk_document_revision_signer_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_revision')),
    sa.UniqueConstraint('document_id', 'seq', name='uq_document_revision_document_seq')
    )
    with op.batch_alter_table('document_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_revision_document_id'), ['document_id'], unique=False)

    op.create_table('document_signer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('sign_order', sa.Integer(), nullable=False),
    sa.Column('seal_page', sa.Integer(), nullable=False),
    sa.Column('seal_x', sa.Float(), nullable=False),
    sa.Column('seal_y', sa.Float(), nullable=False),
    sa.Column('seal_size', sa.Float(), nullable=False),
    sa.Column('signed_seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_signer_document_id_document')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_document_signer_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_signer')),
    sa.UniqueConstraint('document_id', 'role', name='uq_document_signer_document_role')
    )
    with op.batch_alter_table('document_signer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_signer_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_signer_party_id'), ['party_id'], unique=False)

    op.create_table('document_stamp_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('base_seq', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('binding_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('field_name', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=128), nullable=False),
    sa.Column('digest_algorithm', sa.String(length=10), nullable=False),
    sa.Column('prepared_sha256', sa.String(length=64), nullable=False),
    sa.Column('prepared_record', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision_seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['binding_id'], ['certificate_binding.id'], name=op.f('fk_document_stamp_session_binding_id_certificate_binding')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_stamp_session_document_id_document')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_document_stamp_session_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_stamp_session'))
    )
    with op.batch_alter_table('document_stamp_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_stamp_session_document_id'), ['document_id'], unique=False)

    op.create_table('delegation_agreement_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('drafted', 'revised', 'stamped_by_purchaser', 'stamped_by_agency', 'refused', 'filed', name='agreement_action', native_enum=False, length=30), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('document_public_id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['delegation_agreement.id'], name=op.f('fk_delegation_agreement_event_agreement_id_delegation_agreement')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_delegation_agreement_event_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation_agreement_event'))
    )
    with op.batch_alter_table('delegation_agreement_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegation_agreement_event_agreement_id'), ['agreement_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('delegation_agreement_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegation_agreement_event_agreement_id'))

    op.drop_table('delegation_agreement_event')
    with op.batch_alter_table('document_stamp_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_stamp_session_document_id'))

    op.drop_table('document_stamp_session')
    with op.batch_alter_table('document_signer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_signer_party_id'))
        batch_op.drop_index(batch_op.f('ix_document_signer_document_id'))

    op.drop_table('document_signer')
    with op.batch_alter_table('document_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_revision_document_id'))

    op.drop_table('document_revision')
    with op.batch_alter_table('delegation_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegation_agreement_state'))
        batch_op.drop_index(batch_op.f('ix_delegation_agreement_purchaser_id'))
        batch_op.drop_index(batch_op.f('ix_delegation_agreement_agency_id'))

    op.drop_table('delegation_agreement')
    op.drop_table('document')
