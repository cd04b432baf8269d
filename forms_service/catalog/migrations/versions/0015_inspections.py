"""the data provider's audits of agencies (規範 七), scheduled ahead

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 18:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inspections',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('connection_id', sa.String(length=40), nullable=False),
        sa.Column('audit_on', sa.Date(), nullable=False),
        sa.Column('team', sa.String(length=500), nullable=False),
        sa.Column('scheduled_by', sa.String(length=200), nullable=False),
        sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_agency', ['agency'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_agency')
    op.drop_table('inspections')
