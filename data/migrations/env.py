"""Alembic environment: migrates the app's database (``DATABASE_URL`` or the default).

Callers that already hold an engine (setup_app, tests) pass it as
``config.attributes["engine"]``; the ``alembic`` command line uses ``-x db_url=...``,
then ``DATABASE_URL``, then the app's default instance database.
"""

from __future__ import annotations

from alembic import context

from data.db import default_database_url, make_engine
from data.models import Base

config = context.config
target_metadata = Base.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    url = context.get_x_argument(as_dictionary=True).get("db_url") or default_database_url()
    return make_engine(url)


def run_migrations_offline() -> None:
    url = context.get_x_argument(as_dictionary=True).get("db_url") or default_database_url()
    context.configure(
        url=url, target_metadata=target_metadata, render_as_batch=True, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite alters tables by copy-and-move
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
