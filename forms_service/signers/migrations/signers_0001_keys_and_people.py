"""signers: keys held per party, and people's certificates bound to their accounts

Revision ID: signers_0001
Revises:
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = 'signers_0001'
down_revision = None
branch_labels = ('signers',)
depends_on = '0019'


def upgrade() -> None:
    op.create_table(
        'signer_keys',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('party', sa.String(length=20), nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('module', sa.String(length=500), nullable=False),
        sa.Column('token_label', sa.String(length=200), nullable=False),
        sa.Column('key_label', sa.String(length=200), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('secret_source', sa.String(length=500), nullable=False),
        sa.Column('certificate', sa.LargeBinary(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('registered_by', sa.String(length=200), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('retired_by', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_signer_keys_party_agency', 'signer_keys', ['party', 'agency'])
    op.create_table(
        'person_certificates',
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('certificate', sa.LargeBinary(), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('registered_by', sa.String(length=200), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('fingerprint'),
    )
    op.create_index('ix_person_certificates_username', 'person_certificates', ['username'])


def downgrade() -> None:
    op.drop_table('person_certificates')
    op.drop_table('signer_keys')
