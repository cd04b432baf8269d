"""batches of documents produced by the background workers, their entries, and the objects of
interrupted filings set aside

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 22:30:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'batches',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('form_id', sa.String(length=40), nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('actor', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('webhook_url', sa.String(length=2000), nullable=False),
        sa.Column('webhook_secret', sa.String(length=100), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_batches_agency', 'batches', ['agency'], unique=False)
    op.create_table(
        'batch_entries',
        sa.Column('batch_id', sa.String(length=40), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('input', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.String(length=40), nullable=False),
        sa.Column('problem', sa.JSON(), nullable=False),
        sa.Column('worker', sa.String(length=200), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['batches.id']),
        sa.PrimaryKeyConstraint('batch_id', 'number'),
    )
    op.create_index('ix_batch_entries_state', 'batch_entries', ['batch_id', 'state'], unique=False)
    op.create_table(
        'set_aside_objects',
        sa.Column('key', sa.String(length=400), nullable=False),
        sa.Column('version_id', sa.String(length=200), nullable=False),
        sa.Column('record_id', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.String(length=400), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', 'version_id'),
    )
    op.create_index('ix_set_aside_objects_record_id', 'set_aside_objects', ['record_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_set_aside_objects_record_id', table_name='set_aside_objects')
    op.drop_table('set_aside_objects')
    op.drop_index('ix_batch_entries_state', table_name='batch_entries')
    op.drop_table('batch_entries')
    op.drop_index('ix_batches_agency', table_name='batches')
    op.drop_table('batches')
