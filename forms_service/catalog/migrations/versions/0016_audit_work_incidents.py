"""the audit's checklist work (answers, evidence, results, findings) and incident reports

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 20:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answered_by', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('filled_by', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('filled_title', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('record_id', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'inspection_items',
        sa.Column('inspection_id', sa.String(length=40), nullable=False),
        sa.Column('item', sa.Integer(), nullable=False),
        sa.Column('self_result', sa.String(length=20), nullable=False),
        sa.Column('self_note', sa.String(length=2000), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('answered_by', sa.String(length=200), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result', sa.String(length=20), nullable=False),
        sa.Column('result_note', sa.String(length=2000), nullable=False),
        sa.Column('judged_by', sa.String(length=200), nullable=False),
        sa.Column('judged_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('inspection_id', 'item'),
    )
    op.create_table(
        'inspection_findings',
        sa.Column('inspection_id', sa.String(length=40), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('item', sa.Integer(), nullable=True),
        sa.Column('issue', sa.String(length=2000), nullable=False),
        sa.Column('action', sa.String(length=2000), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reply', sa.String(length=4000), nullable=False),
        sa.Column('replied_by', sa.String(length=200), nullable=False),
        sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by', sa.String(length=200), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('inspection_id', 'number'),
    )
    op.create_index('ix_inspection_findings_agency', 'inspection_findings', ['agency'], unique=False)
    op.create_table(
        'incidents',
        sa.Column('record_id', sa.String(length=40), nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('system', sa.String(length=200), nullable=False),
        sa.Column('related_record', sa.String(length=40), nullable=False),
        sa.Column('discovered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reported_how', sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint('record_id'),
    )
    op.create_index('ix_incidents_agency', 'incidents', ['agency'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_incidents_agency', table_name='incidents')
    op.drop_table('incidents')
    op.drop_index('ix_inspection_findings_agency', table_name='inspection_findings')
    op.drop_table('inspection_findings')
    op.drop_table('inspection_items')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        for name in ('finished_at', 'record_id', 'filled_title', 'filled_by', 'answered_by', 'answered_at'):
            batch_op.drop_column(name)
