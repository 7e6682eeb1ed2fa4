"""time and reciprocity

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_jobs_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("kind", "period", "target", name=op.f("uq_jobs_kind_period_target")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_jobs_status_due_at"), ["status", "due_at"], unique=False
        )

    op.create_table(
        "no_shows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("introduction_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["introduction_id"],
            ["introductions.id"],
            name=op.f("fk_no_shows_introduction_id_introductions"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_no_shows_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["members.id"], name=op.f("fk_no_shows_reporter_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_shows")),
        sa.UniqueConstraint(
            "introduction_id", "reporter_id", name=op.f("uq_no_shows_introduction_id_reporter_id")
        ),
    )
    with op.batch_alter_table("no_shows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_no_shows_member_id"), ["member_id"], unique=False)

    op.create_table(
        "thanks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("introduction_id", sa.Integer(), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=False),
        sa.Column("to_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_id"], ["members.id"], name=op.f("fk_thanks_from_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["introduction_id"],
            ["introductions.id"],
            name=op.f("fk_thanks_introduction_id_introductions"),
        ),
        sa.ForeignKeyConstraint(["to_id"], ["members.id"], name=op.f("fk_thanks_to_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thanks")),
        sa.UniqueConstraint("introduction_id", name=op.f("uq_thanks_introduction_id")),
    )
    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slots", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("slot_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("seeker_confirmed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "volunteer_confirmed", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public_recognition", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("weekly_digest", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False)
        )
        batch_op.add_column(sa.Column("windows", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("windows")
        batch_op.drop_column("timezone")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("weekly_digest")
        batch_op.drop_column("public_recognition")

    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.drop_column("completed_at")
        batch_op.drop_column("volunteer_confirmed")
        batch_op.drop_column("seeker_confirmed")
        batch_op.drop_column("slot_start")
        batch_op.drop_column("slots")

    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")

    op.drop_table("thanks")
    with op.batch_alter_table("no_shows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_no_shows_member_id"))

    op.drop_table("no_shows")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status_due_at"))

    op.drop_table("jobs")
