"""digest and approval indexes: a community's completed chats by confirmation time, its
introductions and requests by time, and asks by status, so digests and the moderators'
queue read a community's recent rows instead of its whole history

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = (
    ("introductions", ("community_id", "status", "completed_at")),
    ("introductions", ("community_id", "created_at")),
    ("introductions", ("seeker_id", "status")),
    ("requests", ("community_id", "submitted_at")),
    ("asks", ("status", "volunteer_id")),
)


def _name(table: str, columns: tuple[str, ...]) -> str:
    return op.f(f"ix_{table}_{'_'.join(columns)}")


def upgrade() -> None:
    for table, columns in INDEXES:
        op.create_index(_name(table, columns), table, list(columns), unique=False)


def downgrade() -> None:
    for table, columns in reversed(INDEXES):
        op.drop_index(_name(table, columns), table_name=table)
