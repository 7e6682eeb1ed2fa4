"""places and linked accounts: a community lives on one place or more (a Slack workspace,
a Discord server, a console community), and a member may hold accounts on several

Every existing community becomes a community with one place, the one it was made for; every
member row is an account on that place and its own person; every outbox message goes out on
that place. Nothing else changes meaning.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

from bot.storage.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_MEMBER_COLUMNS = (
    "id, community_id, user_id, display_name, is_moderator, public_recognition, "
    "weekly_digest, created_at"
)
_ACCOUNT_COLUMNS = "place_id, person_id, reach_id"
_INTRODUCTION_COLUMNS = (
    "id, community_id, request_id, ask_id, seeker_id, volunteer_id, minutes, status, "
    "created_at, slots, slot_start, seeker_confirmed, volunteer_confirmed, completed_at"
)


@contextmanager
def _rebuilding(table: str, columns: str) -> Iterator[None]:
    """SQLite changes a table's constraints by copying it into a new table and dropping the
    old one; dropping a table while other rows refer to it breaks their foreign keys (and
    renaming the copy doesn't mend them). So, on SQLite, the rows wait in a temporary table
    while the empty table is rebuilt, and come back into the new one: the foreign keys are
    checked once, when the migration commits."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
        op.execute(f"CREATE TEMP TABLE {table}_0010 AS SELECT {columns} FROM {table}")
        op.execute(f"DELETE FROM {table}")
    yield
    if sqlite:
        op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_0010")
        op.execute(f"DROP TABLE {table}_0010")


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", name="fk_places_community_id_communities"),
            nullable=False,
        ),
        sa.Column("platform", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_places"),
        sa.UniqueConstraint("platform", "external_id", name="uq_places_platform_external_id"),
    )
    op.create_index("ix_places_community_id", "places", ["community_id"])
    # Each community's place keeps the community's id: a place of its own, the same number.
    op.execute(
        "INSERT INTO places (id, community_id, platform, external_id, name, created_at) "
        "SELECT id, id, platform, external_id, name, created_at FROM communities"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('places', 'id'), "
            "(SELECT COALESCE(MAX(id), 0) + 1 FROM places), false)"
        )

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_id", sa.Integer, nullable=True))
        batch_op.add_column(sa.Column("person_id", sa.Integer, nullable=True))
        batch_op.add_column(sa.Column("reach_id", sa.Integer, nullable=True))
    op.execute("UPDATE members SET place_id = community_id")
    with (
        _rebuilding("members", f"{_MEMBER_COLUMNS}, {_ACCOUNT_COLUMNS}"),
        op.batch_alter_table("members", schema=None) as batch_op,
    ):
        batch_op.alter_column("place_id", existing_type=sa.Integer, nullable=False)
        batch_op.create_foreign_key("fk_members_place_id_places", "places", ["place_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_members_person_id_members", "members", ["person_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_members_reach_id_members", "members", ["reach_id"], ["id"])
        batch_op.drop_constraint("uq_members_community_id_user_id", type_="unique")
        batch_op.create_unique_constraint("uq_members_place_id_user_id", ["place_id", "user_id"])
        batch_op.create_index("ix_members_person_id", ["person_id"])
        batch_op.create_index("ix_members_reach_id", ["reach_id"])

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_id", sa.Integer, nullable=True))
    op.execute("UPDATE outbox SET place_id = community_id")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("place_id", existing_type=sa.Integer, nullable=False)
        batch_op.create_foreign_key("fk_outbox_place_id_places", "places", ["place_id"], ["id"])
        batch_op.create_index("ix_outbox_place_id", ["place_id"])

    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact", sa.String(300), nullable=False, server_default=""))
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("volunteer_contact", sa.String(300), nullable=True))
        batch_op.add_column(sa.Column("seeker_contact", sa.String(300), nullable=True))

    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column(
            "community_id",
            sa.Integer,
            sa.ForeignKey("communities.id", name="fk_link_codes_community_id_communities"),
            nullable=False,
        ),
        sa.Column(
            "place_id",
            sa.Integer,
            sa.ForeignKey("places.id", name="fk_link_codes_place_id_places"),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            sa.Integer,
            sa.ForeignKey("members.id", name="fk_link_codes_member_id_members"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_link_codes"),
        sa.UniqueConstraint("code_hash", name="uq_link_codes_code_hash"),
    )
    for column in ("community_id", "place_id", "member_id"):
        op.create_index(f"ix_link_codes_{column}", "link_codes", [column])


def downgrade() -> None:
    # Only possible while every community has one place and no accounts are linked: the
    # schema before had no way to say either, so going back would lose what they mean.
    spanning = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT (SELECT COUNT(*) FROM places WHERE id NOT IN "
                "(SELECT MIN(id) FROM places GROUP BY community_id)), "
                "(SELECT COUNT(*) FROM members WHERE person_id IS NOT NULL OR reach_id IS NOT NULL)"
            )
        )
        .one()
    )
    if any(spanning):
        raise RuntimeError(
            f"Can't go back before places: {spanning[0]} place(s) joined into another "
            f"community and {spanning[1]} linked account(s). Unlink them first."
        )
    op.drop_table("link_codes")
    with (
        _rebuilding("introductions", _INTRODUCTION_COLUMNS),
        op.batch_alter_table("introductions", schema=None) as batch_op,
    ):
        batch_op.drop_column("seeker_contact")
        batch_op.drop_column("volunteer_contact")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("contact")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_place_id")
        batch_op.drop_constraint("fk_outbox_place_id_places", type_="foreignkey")
        batch_op.drop_column("place_id")
    with (
        _rebuilding("members", _MEMBER_COLUMNS),
        op.batch_alter_table("members", schema=None) as batch_op,
    ):
        batch_op.drop_index("ix_members_reach_id")
        batch_op.drop_index("ix_members_person_id")
        batch_op.drop_constraint("uq_members_place_id_user_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_members_community_id_user_id", ["community_id", "user_id"]
        )
        batch_op.drop_constraint("fk_members_reach_id_members", type_="foreignkey")
        batch_op.drop_constraint("fk_members_person_id_members", type_="foreignkey")
        batch_op.drop_constraint("fk_members_place_id_places", type_="foreignkey")
        batch_op.drop_column("reach_id")
        batch_op.drop_column("person_id")
        batch_op.drop_column("place_id")
    op.drop_index("ix_places_community_id", table_name="places")
    op.drop_table("places")
