"""the monthly check's people and steps: assigned 查核人員, flag reviews, reminder mails; users'
names, e-mails and business-system accounts; a person's own tokens

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 16:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_name', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('system_account', sa.String(length=100), nullable=False, server_default=''))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username', sa.String(length=80), nullable=False, server_default=''))
    op.create_table(
        'query_reviewers',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('system', sa.String(length=200), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('assigned_by', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('agency', 'system', name='uq_query_reviewer'),
    )
    op.create_table(
        'query_flag_reviews',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('system', sa.String(length=200), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('event_id', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('sentence', sa.String(length=500), nullable=False),
        sa.Column('querier_account', sa.String(length=100), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('request_note', sa.String(length=1000), nullable=False),
        sa.Column('requested_by', sa.String(length=200), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answer', sa.String(length=2000), nullable=False),
        sa.Column('answered_by', sa.String(length=200), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.String(length=1000), nullable=False),
        sa.Column('decided_by', sa.String(length=200), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('agency', 'system', 'month', 'event_id', 'kind', name='uq_query_flag_review'),
    )
    with op.batch_alter_table('query_flag_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_query_flag_reviews_querier', ['agency', 'querier_account', 'state'], unique=False)
    op.create_table(
        'mails_sent',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('recipient', sa.String(length=200), nullable=False),
        sa.Column('topic', sa.String(length=100), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('day', 'recipient', 'topic', name='uq_mail_sent'),
    )


def downgrade() -> None:
    op.drop_table('mails_sent')
    with op.batch_alter_table('query_flag_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_query_flag_reviews_querier')
    op.drop_table('query_flag_reviews')
    op.drop_table('query_reviewers')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('username')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('system_account')
        batch_op.drop_column('email')
        batch_op.drop_column('full_name')
