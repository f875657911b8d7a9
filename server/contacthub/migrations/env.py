"""Alembic environment: runs on the engine the store hands in."""

from alembic import context

from contacthub.store.migrate import schema_filter
from contacthub.store.schema import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=schema_filter(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
