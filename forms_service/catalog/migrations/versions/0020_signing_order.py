"""each record's signing order: the signature blocks its document is signed in, in order

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('records') as batch:
        batch.add_column(sa.Column('signing_order', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('records') as batch:
        batch.drop_column('signing_order')
