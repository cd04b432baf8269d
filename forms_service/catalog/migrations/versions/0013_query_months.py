"""closed months of query events: the sealed segment, and the signed 附件5

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'query_months',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('system', sa.String(length=200), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('object_key', sa.String(length=500), nullable=False),
        sa.Column('object_version', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_by', sa.String(length=200), nullable=False),
        sa.Column('record_id', sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('agency', 'system', 'month', name='uq_query_month'),
    )


def downgrade() -> None:
    op.drop_table('query_months')
