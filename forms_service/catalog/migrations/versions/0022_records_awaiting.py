"""the block a record waits for (its next signer's), indexed for the due list: "" when none, "-"
once a signer returned it

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 00:00:00
"""

import json

import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('records') as batch:
        batch.add_column(sa.Column('awaiting', sa.String(length=40), nullable=False, server_default=''))
        batch.create_index('ix_records_awaiting', ['awaiting'])
    # Records filed since their signing orders (0020): the first block their newest version lacks.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, signing_order FROM records WHERE CAST(signing_order AS TEXT) != '[]'")).fetchall()
    for record_id, order in rows:
        order = json.loads(order) if isinstance(order, str) else (order or [])
        report = connection.execute(sa.text(
            "SELECT signature_report FROM versions WHERE record_id = :id ORDER BY number DESC LIMIT 1"),
            {"id": record_id}).scalar()
        report = json.loads(report) if isinstance(report, str) else (report or [])
        signed = {r.get("field") for r in report if r.get("kind") == "signature"}
        waiting = next((b for b in order if b not in signed), "")
        if waiting:
            connection.execute(sa.text("UPDATE records SET awaiting = :b WHERE id = :id"),
                               {"b": waiting, "id": record_id})


def downgrade() -> None:
    with op.batch_alter_table('records') as batch:
        batch.drop_index('ix_records_awaiting')
        batch.drop_column('awaiting')
