"""expert document signers: experts sign platform documents (the evaluation report) in PAdES

A document's signer is a party or an evaluation expert (document_signer.expert_id, party_id now
nullable); a revision names the expert and the event certificate that signed it. The evaluation
summary links to its report document instead of keeping the report's PDF bytes (report_pdf: the
report is now a platform document kept in the file store).

Revision ID: a7e1b2c3d4f5
Revises: ac1e5f6a7b82
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7e1b2c3d4f5"
down_revision = "ac1e5f6a7b82"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document_signer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expert_id', sa.Integer(), nullable=True))
        batch_op.alter_column('party_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_document_signer_expert_id'), ['expert_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_document_signer_expert_id_expert'), 'expert', ['expert_id'], ['id'])

    with op.batch_alter_table('document_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signer_expert_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('signer_event_certificate_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_document_revision_signer_expert_id_expert'), 'expert',
                                    ['signer_expert_id'], ['id'])
        batch_op.create_foreign_key('fk_document_revision_signer_event_certificate',
                                    'expert_event_certificate', ['signer_event_certificate_id'], ['id'])

    with op.batch_alter_table('evaluation_summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_evaluation_summary_report_document_id_document'), 'document',
                                    ['report_document_id'], ['id'])
        batch_op.drop_column('report_pdf')


def downgrade() -> None:
    with op.batch_alter_table('evaluation_summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_pdf', sa.LargeBinary(), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_evaluation_summary_report_document_id_document'), type_='foreignkey')
        batch_op.drop_column('report_document_id')

    with op.batch_alter_table('document_revision', schema=None) as batch_op:
        batch_op.drop_constraint('fk_document_revision_signer_event_certificate',
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_document_revision_signer_expert_id_expert'), type_='foreignkey')
        batch_op.drop_column('signer_event_certificate_id')
        batch_op.drop_column('signer_expert_id')

    with op.batch_alter_table('document_signer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_document_signer_expert_id_expert'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_document_signer_expert_id'))
        batch_op.alter_column('party_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('expert_id')
