"""the PDF/A checker's verdict kept with each version

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 13:00:00

Versions stored before the check have an empty verdict: they were not checked.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pdfa', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_column('pdfa')
