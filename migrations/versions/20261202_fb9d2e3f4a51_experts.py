"""experts: the pool, declared conflicts, draws and assignments, one-time codes, event certificates, signatures

The expert area (bidding/experts/models.py, docs/experts.md): expert and expert_conflict (the
operator's pool), expert_draw (one per tender: commitment, timestamp token, snapshot, seed, the list
as an envelope) and expert_assignment (draw order, called/confirmed/declined/standby), expert_code
(one-time codes, argon2id hashes), expert_event_certificate (keys on the platform's token) and
expert_signature.

Revision ID: fb9d2e3f4a51
Revises: ef7b0d1ec039
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fb9d2e3f4a51"
down_revision = "ef7b0d1ec039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('expert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=120), nullable=True),
    sa.Column('specialities', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=50), nullable=False),
    sa.Column('employer_name', sa.String(length=200), nullable=False),
    sa.Column('employer_credit_code', sa.String(length=18), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert')),
    sa.UniqueConstraint('email', name=op.f('uq_expert_email')),
    sa.UniqueConstraint('id_number', name=op.f('uq_expert_id_number')),
    sa.UniqueConstraint('phone', name=op.f('uq_expert_phone'))
    )
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_employer_credit_code'), ['employer_credit_code'], unique=False)

    op.create_table('expert_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('party_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_conflict_expert_id_expert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_conflict')),
    sa.UniqueConstraint('expert_id', 'credit_code', name='uq_expert_conflict_expert_code')
    )
    with op.batch_alter_table('expert_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_conflict_expert_id'), ['expert_id'], unique=False)

    op.create_table('expert_event_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('certificate_der', sa.LargeBinary(), nullable=False),
    sa.Column('chain_der', sa.LargeBinary(), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('token_label', sa.String(length=64), nullable=False),
    sa.Column('key_id_hex', sa.String(length=32), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_event_certificate_expert_id_expert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_event_certificate'))
    )
    with op.batch_alter_table('expert_event_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_event_certificate_expert_id'), ['expert_id'], unique=False)

    op.create_table('expert_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('sign_in', 'sign', name='expert_code_purpose', native_enum=False, length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('document_title', sa.String(length=200), nullable=True),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['expert_event_certificate.id'], name=op.f('fk_expert_code_certificate_id_expert_event_certificate')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_code_expert_id_expert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_code'))
    )
    with op.batch_alter_table('expert_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_code_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_code_expert_id'), ['expert_id'], unique=False)

    op.create_table('expert_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('document_title', sa.String(length=200), nullable=False),
    sa.Column('signature_der', sa.LargeBinary(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['expert_event_certificate.id'], name=op.f('fk_expert_signature_certificate_id_expert_event_certificate')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_signature_expert_id_expert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_signature'))
    )
    with op.batch_alter_table('expert_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_signature_expert_id'), ['expert_id'], unique=False)

    op.create_table('expert_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('speciality', sa.String(length=50), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('reserves', sa.Integer(), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('timestamp_token', sa.LargeBinary(), nullable=False),
    sa.Column('snapshot_json', sa.LargeBinary(), nullable=False),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=False),
    sa.Column('seed_hex', sa.String(length=64), nullable=False),
    sa.Column('exclusions_json', sa.Text(), nullable=False),
    sa.Column('list_envelope', sa.LargeBinary(), nullable=False),
    sa.Column('list_version', sa.Integer(), nullable=False),
    sa.Column('drawn_by', sa.Integer(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('evaluation_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['party.id'], name=op.f('fk_expert_draw_agency_id_party')),
    sa.ForeignKeyConstraint(['drawn_by'], ['account.id'], name=op.f('fk_expert_draw_drawn_by_account')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_expert_draw_tender_id_tender')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_draw')),
    sa.UniqueConstraint('tender_id', name=op.f('uq_expert_draw_tender_id'))
    )
    with op.batch_alter_table('expert_draw', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_draw_agency_id'), ['agency_id'], unique=False)

    op.create_table('expert_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('called', 'confirmed', 'declined', 'standby', name='expert_assignment_state', native_enum=False, length=20), nullable=False),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['draw_id'], ['expert_draw.id'], name=op.f('fk_expert_assignment_draw_id_expert_draw')),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_assignment_expert_id_expert')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_assignment')),
    sa.UniqueConstraint('draw_id', 'expert_id', name='uq_expert_assignment_draw_expert'),
    sa.UniqueConstraint('draw_id', 'position', name='uq_expert_assignment_draw_position')
    )
    with op.batch_alter_table('expert_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_assignment_draw_id'), ['draw_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_assignment_expert_id'), ['expert_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('expert_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_assignment_expert_id'))
        batch_op.drop_index(batch_op.f('ix_expert_assignment_draw_id'))

    op.drop_table('expert_assignment')
    with op.batch_alter_table('expert_draw', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_draw_agency_id'))

    op.drop_table('expert_draw')
    with op.batch_alter_table('expert_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_signature_expert_id'))

    op.drop_table('expert_signature')
    with op.batch_alter_table('expert_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_code_expert_id'))
        batch_op.drop_index(batch_op.f('ix_expert_code_created_at'))

    op.drop_table('expert_code')
    with op.batch_alter_table('expert_event_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_event_certificate_expert_id'))

    op.drop_table('expert_event_certificate')
    with op.batch_alter_table('expert_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_conflict_expert_id'))

    op.drop_table('expert_conflict')
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_employer_credit_code'))

    op.drop_table('expert')
