"""connections by index: each record's connection, 資料使用單位 and system; system tokens bound to
a connection; the 資料使用單位's acknowledgements

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 00:00:00
"""

import json

import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

APPLICATIONS = ('annex1-interface', 'annex1-copy')


def upgrade() -> None:
    with op.batch_alter_table('records') as batch:
        batch.add_column(sa.Column('connection_id', sa.String(length=40), nullable=False, server_default=''))
        batch.add_column(sa.Column('user_unit_code', sa.String(length=20), nullable=False, server_default=''))
        batch.add_column(sa.Column('system_name', sa.String(length=200), nullable=False, server_default=''))
        batch.create_index('ix_records_connection_id', ['connection_id'])
        batch.create_index('ix_records_unit_system', ['user_unit_code', 'system_name'])
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('connection_id', sa.String(length=40), nullable=False, server_default=''))
    op.create_table(
        'connection_acks',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('connection_id', sa.String(length=40), nullable=False),
        sa.Column('agency', sa.String(length=20), nullable=False),
        sa.Column('by', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('connection_id', 'agency', name='uq_connection_ack'),
    )
    _backfill(op.get_bind())


def _backfill(bind) -> None:
    """Each existing record's connection (its first 附件1, found by following related_record back),
    資料使用單位 and system, read from its input once."""
    records = sa.table('records', sa.column('id'), sa.column('form_id'), sa.column('input'),
                       sa.column('connection_id'), sa.column('user_unit_code'), sa.column('system_name'))
    found = {}
    for record_id, form_id, data in bind.execute(sa.select(records.c.id, records.c.form_id, records.c.input)):
        data = json.loads(data) if isinstance(data, str) else (data or {})
        data = data if isinstance(data, dict) else {}
        host = data.get('host') if isinstance(data.get('host'), dict) else {}
        found[record_id] = (form_id, data.get('related_record') or None, data.get('application_type'),
                            str((data.get('user_unit') or {}).get('code', '') or ''),
                            str(host.get('system_name', '') or data.get('system_name', '') or ''))

    def root(record_id):
        seen = set()
        current = record_id
        while current in found and current not in seen:
            seen.add(current)
            form_id, related, kind = found[current][:3]
            if form_id in APPLICATIONS and (kind == 'new' or not related):
                return current
            current = related
        return ''

    for record_id, (_, _, _, unit, system) in found.items():
        bind.execute(records.update().where(records.c.id == record_id).values(
            connection_id=root(record_id), user_unit_code=unit[:20], system_name=system[:200]))


def downgrade() -> None:
    op.drop_table('connection_acks')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('connection_id')
    with op.batch_alter_table('records') as batch:
        batch.drop_index('ix_records_unit_system')
        batch.drop_index('ix_records_connection_id')
        batch.drop_column('system_name')
        batch.drop_column('user_unit_code')
        batch.drop_column('connection_id')
