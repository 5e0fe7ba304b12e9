"""Alembic environment: the URL comes from the caller (`inbox-server init-db`), never a file."""

from alembic import context
from sqlalchemy import pool

from inbox_app.models.tables import Base, is_mapped_object
from inbox_app.server.db import make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=is_mapped_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # Table rebuilds drop the old copy; with foreign keys on, SQLite would first delete
            # its rows and cascade into every table pointing at it. Only settable outside a
            # transaction; each revision checks the keys itself (PRAGMA foreign_key_check).
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=is_mapped_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
