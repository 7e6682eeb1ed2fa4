"""matching's index of volunteers (postings) and load counters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bot.domain.matching import posting_keys
from bot.domain.models import VolunteerProfile
from bot.storage.counters import combine, copy_loads, load_queries

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    keys = op.create_table(
        "volunteer_keys",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("load", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("community_id", "key", "member_id"),
    )
    op.create_index(op.f("ix_volunteer_keys_member_id"), "volunteer_keys", ["member_id"])
    op.create_index(
        "ix_volunteer_keys_order", "volunteer_keys", ["community_id", "key", "load", "member_id"]
    )
    loads = op.create_table(
        "volunteer_loads",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("load", sa.Integer(), nullable=False),
        sa.Column("load_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.PrimaryKeyConstraint("member_id"),
    )
    op.create_index(op.f("ix_volunteer_loads_load_until"), "volunteer_loads", ["load_until"])
    _backfill(op.get_bind(), keys, loads)


def _backfill(conn: sa.Connection, keys: sa.Table, loads: sa.Table) -> None:
    """Index every active volunteer and count every load, as the code keeps them from now on."""
    rows = conn.execute(
        sa.text(
            "SELECT v.member_id, v.community_id, m.user_id, v.role, v.organisation, v.topics, "
            "v.affiliations FROM volunteers v JOIN members m ON m.id = v.member_id "
            "WHERE v.active"
        ).columns(topics=sa.JSON, affiliations=sa.JSON)
    )
    postings = []
    for r in rows:
        profile = VolunteerProfile(
            member_id=r.member_id,
            user_id=r.user_id,
            display_name="",
            role=r.role,
            organisation=r.organisation,
            topics=tuple(r.topics),
            affiliations=tuple(r.affiliations),
        )
        postings += [
            {"community_id": r.community_id, "key": key, "member_id": r.member_id}
            for key in sorted(posting_keys(profile))
        ]
    if postings:
        conn.execute(sa.insert(keys), postings)
    counted = combine(*[conn.execute(query).all() for query in load_queries(datetime.now(UTC))])
    if counted:
        conn.execute(
            sa.insert(loads),
            [
                {"member_id": m, "load": load, "load_until": until}
                for m, (load, until) in counted.items()
            ],
        )
        conn.execute(copy_loads())


def downgrade() -> None:
    op.drop_index(op.f("ix_volunteer_loads_load_until"), table_name="volunteer_loads")
    op.drop_table("volunteer_loads")
    op.drop_index("ix_volunteer_keys_order", table_name="volunteer_keys")
    op.drop_index(op.f("ix_volunteer_keys_member_id"), table_name="volunteer_keys")
    op.drop_table("volunteer_keys")
