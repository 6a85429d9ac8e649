"""certificate bindings of parties, one-time log-in and binding challenges

A certificate's fingerprint is unique among *active* bindings only (a partial unique index), so the
history of superseded and revoked bindings of the same certificate stays.

Revision ID: 6c8f2b3d4e51
Revises: 5b7e1a2c3d40
Create Date: 2026-12-01 23:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '6c8f2b3d4e51'
down_revision = '5b7e1a2c3d40'
branch_labels = None
depends_on = None

ACTIVE = sa.text("state = 'active'")


def upgrade():
    op.create_table('certificate_binding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('certificate_der', sa.LargeBinary(), nullable=False),
    sa.Column('fingerprint_sha256', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('profile_id', sa.String(length=40), nullable=False),
    sa.Column('algorithm', sa.String(length=10), nullable=False),
    sa.Column('certificate_type', sa.Enum('institution', 'legal_representative', 'natural_person',
                                          name='certificate_type', native_enum=False, length=30), nullable=False),
    sa.Column('identity_number', sa.String(length=18), nullable=False),
    sa.Column('purpose', sa.Enum('signing', 'encryption', name='certificate_purpose', native_enum=False, length=20),
              nullable=False),
    sa.Column('is_main_key', sa.Boolean(), nullable=False),
    sa.Column('seal_kind', sa.String(length=20), nullable=True),
    sa.Column('seal_image', sa.LargeBinary(), nullable=True),
    sa.Column('may_stamp', sa.Boolean(), nullable=False),
    sa.Column('stamp_refusal', sa.Text(), nullable=True),
    sa.Column('state', sa.Enum('active', 'superseded', 'revoked', name='binding_state', native_enum=False, length=20),
              nullable=False),
    sa.Column('bound_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_certificate_binding_party_id_party')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['certificate_binding.id'],
                            name=op.f('fk_certificate_binding_superseded_by_id_certificate_binding')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_binding'))
    )
    with op.batch_alter_table('certificate_binding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_binding_party_id'), ['party_id'], unique=False)
        batch_op.create_index('uq_certificate_binding_active_fingerprint', ['fingerprint_sha256'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)

    op.create_table('certificate_challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.Enum('bind', 'login', name='challenge_purpose', native_enum=False, length=10),
              nullable=False),
    sa.Column('session_hash', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_challenge')),
    sa.UniqueConstraint('nonce', name=op.f('uq_certificate_challenge_nonce'))
    )
    with op.batch_alter_table('certificate_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_challenge_issued_at'), ['issued_at'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_challenge_issued_at'))
    op.drop_table('certificate_challenge')
    with op.batch_alter_table('certificate_binding', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_binding_active_fingerprint')
        batch_op.drop_index(batch_op.f('ix_certificate_binding_party_id'))
    op.drop_table('certificate_binding')
