"""versions: the catalog entry object beside each PDF

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:39:43.976587
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_object_key', sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column('entry_object_version', sa.String(length=200), nullable=False, server_default=""))



def downgrade() -> None:
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_column('entry_object_version')
        batch_op.drop_column('entry_object_key')

