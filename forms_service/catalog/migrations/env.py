"""Alembic environment: migrations run on the connection the catalog hands over."""

from alembic import context

from forms_service.catalog.models import Base, UtcDateTime


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
