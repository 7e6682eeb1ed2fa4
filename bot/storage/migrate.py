"""Alembic, driven from code: `infochat migrate` and every start call `upgrade`."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

import migrations


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def revisions(connection: Connection) -> tuple[str | None, str | None]:
    """The schema's revision in the database (None: never migrated) and the newest one."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision(), head_revision()


@functools.cache
def head_revision() -> str | None:
    """The newest migration: read once (the scripts don't change while the process runs),
    not at every readiness probe."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
