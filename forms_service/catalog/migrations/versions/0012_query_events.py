"""query events reported by business systems, and the system a token of role "system" speaks for

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 15:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('system', sa.String(length=200), nullable=False, server_default=''))
    op.create_table(
        'query_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('system', sa.String(length=200), nullable=False),
        sa.Column('event_id', sa.String(length=100), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_by', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('agency', 'system', 'event_id', name='uq_query_event'),
    )
    with op.batch_alter_table('query_events', schema=None) as batch_op:
        batch_op.create_index('ix_query_events_month', ['agency', 'system', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('query_events', schema=None) as batch_op:
        batch_op.drop_index('ix_query_events_month')
    op.drop_table('query_events')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('system')
