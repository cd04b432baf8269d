"""audit hash chain

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:59:38.804127
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False, server_default=""),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=False, server_default=""))
    # Chain the entries written before this migration, in order, and record the head.
    from forms_service.audit.chain import GENESIS, row_hash

    connection = op.get_bind()
    events = sa.table("audit_events", sa.column("id"), sa.column("at"), sa.column("actor"), sa.column("agency"),
                      sa.column("action"), sa.column("outcome"), sa.column("record_id"), sa.column("version"),
                      sa.column("source_ip"), sa.column("detail", sa.JSON), sa.column("prev_hash"), sa.column("hash"))
    previous, count = GENESIS, 0
    for row in connection.execute(sa.select(events).order_by(events.c.id)).fetchall():
        current = row_hash(previous, row)
        connection.execute(events.update().where(events.c.id == row.id).values(prev_hash=previous, hash=current))
        previous, count = current, count + 1
    op.execute(sa.text("INSERT INTO audit_head (id, count, hash) VALUES (1, :count, :hash)")
               .bindparams(count=count, hash=previous))



def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')

    op.drop_table('audit_head')
