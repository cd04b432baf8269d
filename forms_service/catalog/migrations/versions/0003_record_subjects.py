"""record subjects (統一編號) and the agency-code search index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:51:03.580625
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('record_subjects',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.String(length=40), nullable=False),
    sa.Column('ubn', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record_subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_subjects_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_subjects_ubn'), ['ubn'], unique=False)

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index('ix_records_code_form_created', ['agency_code', 'form_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_code_form_created')

    with op.batch_alter_table('record_subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_subjects_ubn'))
        batch_op.drop_index(batch_op.f('ix_record_subjects_record_id'))

    op.drop_table('record_subjects')
