"""Alembic environment: migrations run on the connection the service hands over, against the one
metadata of every concern's rows (so this script, unlike the rest of ``db/``, imports them all)."""

from alembic import context

import forms_service.access.store  # accounts: tokens, users, sessions
import forms_service.audit.store  # the audit log, its head and sealed days
import forms_service.catalog.models  # records, versions, tombstones, drafts, profiles, idempotency keys
import forms_service.connections.store  # audits and incidents
import forms_service.filing.session_store  # the signing sessions' rows
import forms_service.jobs.store  # batches
import forms_service.notify.store  # mails sent
import forms_service.querylog.store  # query events, months, their review
import forms_service.signers.store  # noqa: F401 — the signers' rows
from forms_service.db.base import Base, UtcDateTime


def render_item(kind, obj, autogen_context):
    # Migrations must not import application types: UtcDateTime is a timezone-aware DateTime.
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True, render_item=render_item)
with context.begin_transaction():
    context.run_migrations()
