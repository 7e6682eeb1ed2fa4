"""indexes for the hot queries: every statement of the everyday commands, jobs and
deliveries is served by an index on SQLite and PostgreSQL (see tests/bot/storage/
test_query_plans.py), so none reads a large table in full

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# (table, columns): names follow the schema's naming convention, ix_<table>_<columns>.
INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("members", ("community_id", "public_recognition")),
    ("volunteers", ("community_id", "joined_at")),
    ("asks", ("suggested_by_ask_id",)),
    ("asks", ("request_id", "status")),
    ("outbox", ("status",)),
    ("outbox", ("community_id", "created_at")),
    ("processed_commands", ("community_id", "created_at")),
    ("audit_log", ("community_id",)),
    ("no_shows", ("reporter_id",)),
    ("no_shows", ("created_at",)),
    ("thanks", ("from_id",)),
    ("thanks", ("to_id",)),
    # Columns that refer to a member, looked up by the foreign-key checks of member rows.
    ("requests", ("target_member_id",)),
    ("asks", ("approved_by",)),
    ("audit_log", ("actor_id",)),
)


def _name(table: str, columns: tuple[str, ...]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, columns in INDEXES:
        op.create_index(_name(table, columns), table, list(columns), unique=False)


def downgrade() -> None:
    for table, columns in reversed(INDEXES):
        op.drop_index(_name(table, columns), table_name=table)
