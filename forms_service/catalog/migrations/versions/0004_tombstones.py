"""tombstones of disposed records

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:51:51.472802
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tombstones',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.String(length=40), nullable=False),
    sa.Column('form_id', sa.String(length=40), nullable=False),
    sa.Column('agency_name', sa.String(length=300), nullable=False),
    sa.Column('title', sa.String(length=400), nullable=False),
    sa.Column('versions', sa.JSON(), nullable=False),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('request_reason', sa.String(length=400), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=80), nullable=False),
    sa.Column('disposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('certificate_key', sa.String(length=300), nullable=False),
    sa.Column('certificate_version', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('record_id')
    )


def downgrade() -> None:
    op.drop_table('tombstones')
