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
    # Covering: a community's chats are read from the index alone, in confirmation order.
    (
        "ix_introductions_community_chats",
        "introductions",
        ("community_id", "status", "completed_at", "slot_start", "volunteer_id", "seeker_id"),
    ),
    (
        "ix_introductions_community_id_created_at_volunteer_id",
        "introductions",
        ("community_id", "created_at", "volunteer_id"),
    ),
    # Covering: what a member received, and when (has a giver been helped before?).
    (
        "ix_introductions_received",
        "introductions",
        ("seeker_id", "status", "completed_at", "slot_start"),
    ),
    ("ix_requests_community_id_submitted_at", "requests", ("community_id", "submitted_at")),
    ("ix_asks_status_volunteer_id", "asks", ("status", "volunteer_id")),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(op.f(name), table, list(columns), unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(op.f(name), table_name=table)
