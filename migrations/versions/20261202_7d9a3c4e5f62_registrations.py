"""party registrations (主体入库): applications, business licences, review, commitment letters

Also: notices (站内通知) and the certificate handler (经办人) of a party (R5).

Revision ID: 7d9a3c4e5f62
Revises: 6c8f2b3d4e51
Create Date: 2026-12-02 00:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7d9a3c4e5f62'
down_revision = '6c8f2b3d4e51'
branch_labels = None
depends_on = None

PARTY_KINDS = ('supplier', 'agency', 'purchaser', 'expert', 'operator')


def upgrade():
    op.create_table('commitment_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('signature_der', sa.LargeBinary(), nullable=False),
    sa.Column('signer_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_commitment_letter_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_letter')),
    sa.UniqueConstraint('party_id', name=op.f('uq_commitment_letter_party_id'))
    )
    op.create_table('party_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('submitted', 'approved', 'rejected', name='registration_state', native_enum=False,
                               length=20), nullable=False),
    sa.Column('kind', sa.Enum(*PARTY_KINDS, name='party_kind', native_enum=False, length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('legal_representative', sa.String(length=50), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('licence_sha256', sa.String(length=64), nullable=False),
    sa.Column('licence_media_type', sa.String(length=40), nullable=False),
    sa.Column('licence_size', sa.Integer(), nullable=False),
    sa.Column('licence_filename', sa.String(length=200), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('status_token_sha256', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_party_registration_party_id_party')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['account.id'],
                            name=op.f('fk_party_registration_reviewed_by_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_registration'))
    )
    with op.batch_alter_table('party_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_registration_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_registration_state'), ['state'], unique=False)

    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_notice_account_id_account')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_notice_party_id_party')),
    sa.ForeignKeyConstraint(['registration_id'], ['party_registration.id'],
                            name=op.f('fk_notice_registration_id_party_registration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_registration_id'), ['registration_id'], unique=False)

    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handler_name', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('handler_id_last4', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('handler_phone', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_column('handler_phone')
        batch_op.drop_column('handler_id_last4')
        batch_op.drop_column('handler_name')

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_registration_id'))
        batch_op.drop_index(batch_op.f('ix_notice_party_id'))
        batch_op.drop_index(batch_op.f('ix_notice_account_id'))
    op.drop_table('notice')
    with op.batch_alter_table('party_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_registration_state'))
        batch_op.drop_index(batch_op.f('ix_party_registration_credit_code'))
    op.drop_table('party_registration')
    op.drop_table('commitment_letter')
