"""filing: signing sessions, a document prepared for a person's card between the two steps

Revision ID: filing_0001
Revises:
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = 'filing_0001'
down_revision = None
branch_labels = ('filing',)
depends_on = '0020'


def upgrade() -> None:
    op.create_table(
        'signing_sessions',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('form_id', sa.String(length=64), nullable=False),
        sa.Column('block', sa.String(length=40), nullable=False),
        sa.Column('record_id', sa.String(length=40), nullable=False),
        sa.Column('base_version', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.String(length=40), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('signing_order', sa.JSON(), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('pdfa', sa.JSON(), nullable=False),
        sa.Column('by_provider', sa.Boolean(), nullable=False),
        sa.Column('certificate', sa.LargeBinary(), nullable=False),
        sa.Column('document', sa.LargeBinary(), nullable=False),
        sa.Column('original_length', sa.Integer(), nullable=False),
        sa.Column('to_be_signed', sa.LargeBinary(), nullable=False),
        sa.Column('document_digest', sa.LargeBinary(), nullable=False),
        sa.Column('reserved_start', sa.Integer(), nullable=False),
        sa.Column('reserved_end', sa.Integer(), nullable=False),
        sa.Column('md_algorithm', sa.String(length=10), nullable=False),
        sa.Column('signing_time', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_signing_sessions_agency', 'signing_sessions', ['agency'])
    op.create_index('ix_signing_sessions_expires_at', 'signing_sessions', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_signing_sessions_expires_at', table_name='signing_sessions')
    op.drop_index('ix_signing_sessions_agency', table_name='signing_sessions')
    op.drop_table('signing_sessions')
