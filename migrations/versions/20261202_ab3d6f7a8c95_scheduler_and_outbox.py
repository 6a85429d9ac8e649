"""scheduler side effects (exactly once) and the notifier outbox

scheduled_effect: the side effects the scheduler owes, unique per (kind, subject, due time);
outbox_message: the messages the notifier delivers; apscheduler_jobs: APScheduler 3.11's own job
store (SQLAlchemyJobStore's layout, created here so that the schema is made by migrations alone).

Revision ID: ab3d6f7a8c95
Revises: 9a2c5e6f7b84
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ab3d6f7a8c95"
down_revision = "9a2c5e6f7b84"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    op.create_index(op.f('ix_apscheduler_jobs_next_run_time'), 'apscheduler_jobs', ['next_run_time'], unique=False)

    op.create_table('scheduled_effect',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'running', 'done', 'failed', 'cancelled', name='effect_state',
                               native_enum=False, length=20), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claim', sa.String(length=120), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_effect')),
    sa.UniqueConstraint('kind', 'subject_id', 'due_at', name='uq_scheduled_effect_key')
    )
    op.create_index('ix_scheduled_effect_state_ready_at', 'scheduled_effect', ['state', 'ready_at'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('state', sa.Enum('queued', 'delivered', name='message_state', native_enum=False, length=20),
              nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_outbox_message_account_id_account')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_outbox_message_notice_id_notice')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_outbox_message_party_id_party')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    op.create_index(op.f('ix_outbox_message_account_id'), 'outbox_message', ['account_id'], unique=False)
    op.create_index(op.f('ix_outbox_message_notice_id'), 'outbox_message', ['notice_id'], unique=False)
    op.create_index(op.f('ix_outbox_message_party_id'), 'outbox_message', ['party_id'], unique=False)
    op.create_index(op.f('ix_outbox_message_state'), 'outbox_message', ['state'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbox_message_state'), table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_party_id'), table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_notice_id'), table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_account_id'), table_name='outbox_message')
    op.drop_table('outbox_message')
    op.drop_index('ix_scheduled_effect_state_ready_at', table_name='scheduled_effect')
    op.drop_table('scheduled_effect')
    op.drop_index(op.f('ix_apscheduler_jobs_next_run_time'), table_name='apscheduler_jobs')
    op.drop_table('apscheduler_jobs')
