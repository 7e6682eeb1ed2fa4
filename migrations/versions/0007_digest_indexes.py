"""digest and approval indexes: a community's completed chats by confirmation time, its
introductions and requests by time, and asks by status, so digests and the moderators'
queue read a community's recent rows instead of its whole history; and help_chains, the
ledger's chains folded up to a time

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
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
    # Derived data only (rebuilt from the introductions when missing): nothing to backfill.
    op.create_table(
        "help_chains",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("through", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_late", sa.Integer(), nullable=False),
        sa.Column("longest", sa.Integer(), nullable=False),
        sa.Column("reach", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_help_chains_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_help_chains")),
    )


def downgrade() -> None:
    op.drop_table("help_chains")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(op.f(name), table_name=table)
