"""certificate service desk: requests for renewal, subject change, key replacement, PIN unlock, revocation

Revision ID: 8e1b4d5f6a73
Revises: 7d9a3c4e5f62
Create Date: 2026-12-02 00:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '8e1b4d5f6a73'
down_revision = '7d9a3c4e5f62'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_service_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('binding_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('renewal', 'change_subject', 'replace_key', 'unlock_pin', 'revoke', name='service_kind',
                              native_enum=False, length=20), nullable=False),
    sa.Column('state', sa.Enum('submitted', 'awaiting_review', 'done', 'rejected', name='service_request_state',
                               native_enum=False, length=20), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('new_binding_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['binding_id'], ['certificate_binding.id'],
                            name=op.f('fk_certificate_service_request_binding_id_certificate_binding')),
    sa.ForeignKeyConstraint(['decided_by'], ['account.id'],
                            name=op.f('fk_certificate_service_request_decided_by_account')),
    sa.ForeignKeyConstraint(['new_binding_id'], ['certificate_binding.id'],
                            name=op.f('fk_certificate_service_request_new_binding_id_certificate_binding')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_certificate_service_request_party_id_party')),
    sa.ForeignKeyConstraint(['requested_by'], ['account.id'],
                            name=op.f('fk_certificate_service_request_requested_by_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_service_request'))
    )
    with op.batch_alter_table('certificate_service_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_service_request_binding_id'), ['binding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_service_request_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_service_request_state'), ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate_service_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_service_request_state'))
        batch_op.drop_index(batch_op.f('ix_certificate_service_request_party_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_service_request_binding_id'))
    op.drop_table('certificate_service_request')
