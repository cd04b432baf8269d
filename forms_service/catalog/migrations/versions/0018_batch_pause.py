"""a batch paused after a fault: until when, and why

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('batches') as batch:
        batch.add_column(sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('paused_because', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('batches') as batch:
        batch.drop_column('paused_because')
        batch.drop_column('paused_until')
