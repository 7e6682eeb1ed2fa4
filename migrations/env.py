"""Alembic environment: runs on the connection infochat hands it (see bot/storage/migrate.py).

From the alembic CLI, set `sqlalchemy.url` (e.g. `-x url=sqlite:///data/infochat.db`).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.storage.schema import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_engine(url)
    with engine.begin() as conn:
        _run_on(conn)


def _run_on(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
