"""agencies by code: tokens and users made for an agency name move to its code

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:00:00

Agencies are identified by 機關代碼 only (a name is free text).  A token or user made for a name
gets the code the catalog's records tie that name to — when they tie it to exactly one code.
Otherwise the service cannot tell which agency is meant: the token is revoked and the user locked
(an administrator makes them again for the code).  Nothing is deleted.
"""

import re
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

CODE = re.compile(r"\d{9}[A-Z0-9]|\d{10}")
LOCKED_FOR_GOOD = datetime(9999, 12, 31, tzinfo=timezone.utc)


def upgrade() -> None:
    connection = op.get_bind()
    records = sa.table("records", sa.column("agency_name"), sa.column("agency_code"))
    tokens = sa.table("api_tokens", sa.column("id"), sa.column("agency"), sa.column("revoked_at", sa.DateTime(True)))
    users = sa.table("users", sa.column("id"), sa.column("agency"), sa.column("locked_until", sa.DateTime(True)))
    codes: dict[str, set[str]] = {}
    for name, code in connection.execute(sa.select(records.c.agency_name, records.c.agency_code)):
        if code and CODE.fullmatch(code):
            codes.setdefault(name, set()).add(code)
    now = datetime.now(timezone.utc)
    for table, refuse in ((tokens, {"revoked_at": now}), (users, {"locked_until": LOCKED_FOR_GOOD})):
        for row_id, agency in connection.execute(sa.select(table.c.id, table.c.agency)).all():
            if CODE.fullmatch(agency or ""):
                continue
            known = codes.get(agency, set())
            values = {"agency": next(iter(known))} if len(known) == 1 else refuse
            connection.execute(table.update().where(table.c.id == row_id).values(**values))


def downgrade() -> None:
    pass  # the codes stay: they are what the agencies were
