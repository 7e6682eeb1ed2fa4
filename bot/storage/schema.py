"""Tables, as SQLAlchemy Core. Portable across SQLite and PostgreSQL: no dialect specifics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the engine stores."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


communities = sa.Table(
    "communities",
    metadata,
    _id(),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(100), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("settings", sa.JSON, nullable=False),
    # No longer written: matching reads the index in `volunteer_keys`, which every process
    # sees current (it was a token for caches of profiles).
    sa.Column("volunteers_version", sa.String(32), nullable=False, server_default=""),
    _created(),
    sa.UniqueConstraint("platform", "external_id"),
)

# Where a community lives: a Slack workspace, a Discord server, a console community. A
# community has one place or more (moderators link them); `communities.platform` and
# `external_id` name the place it was founded on, where that place returns when unlinked.
places = sa.Table(
    "places",
    metadata,
    _id(),
    sa.Column("community_id", sa.ForeignKey("communities.id"), nullable=False, index=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(100), nullable=False),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    _created(),
    sa.UniqueConstraint("platform", "external_id"),
)

# A row is an account on one place. A member with accounts on several places is one row (the
# person, `person_id` NULL) that holds everything they did, and account rows that point at it
# (`person_id`); `reach_id` is the account they used last, where messages reach them (NULL:
# their own row's account).
members = sa.Table(
    "members",
    metadata,
    _id(),
    sa.Column("community_id", sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("place_id", sa.ForeignKey("places.id"), nullable=False),
    sa.Column("user_id", sa.String(100), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("is_moderator", sa.Boolean, nullable=False, server_default=sa.false()),
    # May the member be thanked by name in public digests (R11)? Off unless they opt in.
    sa.Column("public_recognition", sa.Boolean, nullable=False, server_default=sa.false()),
    # A volunteer's personal weekly DM of open requests that match their topics.
    sa.Column("weekly_digest", sa.Boolean, nullable=False, server_default=sa.false()),
    _created(),
    sa.Column("person_id", sa.ForeignKey("members.id"), nullable=True, index=True),
    sa.Column("reach_id", sa.ForeignKey("members.id"), nullable=True, index=True),
    sa.UniqueConstraint("place_id", "user_id"),
    # The digest counts who may be thanked by name.
    sa.Index(None, "community_id", "public_recognition"),
)

volunteers = sa.Table(
    "volunteers",
    metadata,
    sa.Column("member_id", sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("community_id", sa.ForeignKey("communities.id"), nullable=False, index=True),
    sa.Column("role", sa.String(200), nullable=False),
    sa.Column("organisation", sa.String(200), nullable=False),
    sa.Column("topics", sa.JSON, nullable=False),
    sa.Column("affiliations", sa.JSON, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("languages", sa.JSON, nullable=False),
    sa.Column("formats", sa.JSON, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("monthly_capacity", sa.Integer, nullable=False),
    sa.Column("windows", sa.JSON, nullable=False),
    sa.Column("paused_until", UTCDateTime(), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("joined_at", UTCDateTime(), nullable=False),
    # How they'd like to be reached after an introduction to someone on another place (an
    # email address, a profile URL, a calendar link, a handle): offered, never shown unasked.
    sa.Column("contact", sa.String(300), nullable=False, server_default=""),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    # The digest counts the volunteers who joined in its week.
    sa.Index(None, "community_id", "joined_at"),
)

# Matching's index of active volunteers: one row per index word (see matching.posting_keys),
# kept in step with the profile and the load in the same transaction as each change.
volunteer_keys = sa.Table(
    "volunteer_keys",
    metadata,
    sa.Column("community_id", sa.ForeignKey("communities.id"), primary_key=True),
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("member_id", sa.ForeignKey("members.id"), primary_key=True),
    # The member's load (a copy of volunteer_loads.load), so a posting reads in matching's
    # order within a score tier: load, then member id.
    sa.Column("load", sa.Integer, nullable=False, server_default="0"),
    sa.Index(None, "member_id"),
    sa.Index("ix_volunteer_keys_order", "community_id", "key", "load", "member_id"),
)

# A member's matching load (introductions in the last 90 days + 2 x no-shows reported against
# them in the last 60 days) and when it next changes by time alone (an event leaves its
# window). A row whose `load_until` has passed is recounted before it is used; events mark it
# passed. No row: no load.
volunteer_loads = sa.Table(
    "volunteer_loads",
    metadata,
    sa.Column("member_id", sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("load", sa.Integer, nullable=False),
    sa.Column("load_until", UTCDateTime(), nullable=True, index=True),
)

requests = sa.Table(
    "requests",
    metadata,
    _id(),
    sa.Column("community_id", sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("seeker_id", sa.ForeignKey("members.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("questions", sa.JSON, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("time_frame_days", sa.Integer, nullable=False),
    sa.Column("target_role", sa.String(200), nullable=False, server_default=""),
    sa.Column("target_org", sa.String(200), nullable=False, server_default=""),
    # Indexed, as every column referring to a member: SQLite checks the foreign keys of a
    # member row being written or erased by looking them up.
    sa.Column("target_member_id", sa.ForeignKey("members.id"), nullable=True, index=True),
    sa.Column("affiliations", sa.JSON, nullable=False),
    sa.Column("warnings", sa.JSON, nullable=False),
    # The seeker's own availability, for proposing times (R8): zone and weekly windows.
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("windows", sa.JSON, nullable=False, server_default="[]"),
    _created(),
    sa.Column("submitted_at", UTCDateTime(), nullable=True),
    sa.Column("closed_at", UTCDateTime(), nullable=True),
    sa.Column("close_reason", sa.String(40), nullable=True),
    sa.Index(None, "seeker_id", "status"),
    sa.Index(None, "community_id", "status"),
    sa.Index(None, "community_id", "submitted_at"),  # digests: requests per week
)

asks = sa.Table(
    "asks",
    metadata,
    _id(),
    sa.Column("request_id", sa.ForeignKey("requests.id"), nullable=False, index=True),
    sa.Column("volunteer_id", sa.ForeignKey("members.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("suggested_by_ask_id", sa.ForeignKey("asks.id"), nullable=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    _created(),
    sa.Column("asked_at", UTCDateTime(), nullable=True),
    sa.Column("decided_at", UTCDateTime(), nullable=True),
    sa.Column("approved_by", sa.ForeignKey("members.id"), nullable=True, index=True),
    sa.Column("deny_reason", sa.Text, nullable=True),
    sa.Column("reminded_at", UTCDateTime(), nullable=True),
    # A request's asks in one state (e.g. the seeker's declined asks, read through requests).
    sa.Index(None, "request_id", "status"),
    sa.Index(None, "volunteer_id", "status"),
    sa.Index(None, "status", "volunteer_id"),  # the approval queue; asks waiting per volunteer
    # Asks that point at this one (checked by SQLite's foreign keys on every insert).
    sa.Index(None, "suggested_by_ask_id"),
)

introductions = sa.Table(
    "introductions",
    metadata,
    _id(),
    sa.Column("community_id", sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("request_id", sa.ForeignKey("requests.id"), nullable=False, unique=True),
    sa.Column("ask_id", sa.ForeignKey("asks.id"), nullable=False, unique=True),
    sa.Column("seeker_id", sa.ForeignKey("members.id"), nullable=False),
    sa.Column("volunteer_id", sa.ForeignKey("members.id"), nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    _created(),
    # Scheduling (R8): the proposed slot starts, and the one picked.
    sa.Column("slots", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("slot_start", UTCDateTime(), nullable=True),
    # After the chat (R12): who confirmed it happened, and when it counted as completed.
    sa.Column("seeker_confirmed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("volunteer_confirmed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("completed_at", UTCDateTime(), nullable=True),
    # An introduction across places: how each agreed to be reached by the other (given with
    # the volunteer's Accept and the seeker's reply), shown to the other only then.
    sa.Column("volunteer_contact", sa.String(300), nullable=True),
    sa.Column("seeker_contact", sa.String(300), nullable=True),
    sa.Index(None, "volunteer_id", "created_at"),
    # Digests and the ledger: a community's chats by confirmation, introductions this month,
    # and what each member received.
    sa.Index(  # covering: the chats are read from the index alone
        "ix_introductions_community_chats",
        "community_id",
        "status",
        "completed_at",
        "slot_start",
        "volunteer_id",
        "seeker_id",
    ),
    sa.Index(None, "community_id", "created_at", "volunteer_id"),
    sa.Index("ix_introductions_received", "seeker_id", "status", "completed_at", "slot_start"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("community_id", sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("actor_id", sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(100), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    _created(),
    sa.Index(None, "community_id", "created_at"),
    # The moderators' audit view: a community's latest entries, newest first by id.
    sa.Index(None, "community_id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    _id(),
    sa.Column("community_id", sa.ForeignKey("communities.id"), nullable=False),
    # The place the message goes out on (a community with several places sends on each).
    sa.Column("place_id", sa.ForeignKey("places.id"), nullable=False, index=True),
    sa.Column("destination", sa.JSON, nullable=False),
    sa.Column("message", sa.JSON, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    sa.Column("claimed_until", UTCDateTime(), nullable=True),
    # Whose lease it is: only the worker holding it records the outcome.
    sa.Column("lease_token", sa.String(32), nullable=True),
    # The current attempt's send began (and no outcome is recorded yet).
    sa.Column("started_at", UTCDateTime(), nullable=True),
    # An earlier attempt may have reached the platform: check before sending again.
    sa.Column("in_doubt", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("sent_at", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    _created(),
    sa.Index(None, "status", "next_attempt_at"),
    # The worker claims the oldest due messages first (status, then id: no sort).
    sa.Index(None, "status"),
    # Housekeeping deletes a community's old sent messages.
    sa.Index(None, "community_id", "created_at"),
)

processed_commands = sa.Table(
    "processed_commands",
    metadata,
    # A key is the sender's: another community or member reusing it is another command.
    sa.Column("community_id", sa.ForeignKey("communities.id"), primary_key=True),
    sa.Column("user_id", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("reply", sa.JSON, nullable=False),
    _created(),
    # Housekeeping forgets a community's old commands.
    sa.Index(None, "community_id", "created_at"),
)

# Due work (reminders, expiries, follow-ups, digests): one row per (kind, period, target), so
# each runs once however many processes share the database. A job is claimed by the same
# transaction that carries out its effects.
jobs = sa.Table(
    "jobs",
    metadata,
    _id(),
    sa.Column("community_id", sa.ForeignKey("communities.id"), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("period", sa.String(40), nullable=False),
    sa.Column("target", sa.String(64), nullable=False),
    sa.Column("due_at", UTCDateTime(), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    _created(),
    sa.Column("done_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("kind", "period", "target"),
    sa.Index(None, "status", "due_at"),
)

# A reported no-show is private: it is never shown publicly, and only lowers the member's
# matching priority a little for a while (R12).
no_shows = sa.Table(
    "no_shows",
    metadata,
    _id(),
    sa.Column("introduction_id", sa.ForeignKey("introductions.id"), nullable=False),
    sa.Column("reporter_id", sa.ForeignKey("members.id"), nullable=False),
    sa.Column("member_id", sa.ForeignKey("members.id"), nullable=False, index=True),
    _created(),
    sa.UniqueConstraint("introduction_id", "reporter_id"),
    # The reports a member made (their data export).
    sa.Index(None, "reporter_id"),
    # Recent no-shows, which lower matching priority for a while.
    sa.Index(None, "created_at"),
)

thanks = sa.Table(
    "thanks",
    metadata,
    _id(),
    sa.Column("introduction_id", sa.ForeignKey("introductions.id"), nullable=False, unique=True),
    sa.Column("from_id", sa.ForeignKey("members.id"), nullable=False),
    sa.Column("to_id", sa.ForeignKey("members.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    _created(),
    # Thanks a member gave or got (their data export, the ledger).
    sa.Index(None, "from_id"),
    sa.Index(None, "to_id"),
)

# Notes the bot shows a member once (e.g. how approval works, in a moderator's first reply).
notices = sa.Table(
    "notices",
    metadata,
    sa.Column("member_id", sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    _created(),
)

# The ledger's help chains folded up to a time, so a digest's longest chain reads only the
# chats since (storage.ledger, domain.ledger.ChainState): derived data, rebuilt when stale.
help_chains = sa.Table(
    "help_chains",
    metadata,
    sa.Column("community_id", sa.ForeignKey("communities.id"), primary_key=True),
    sa.Column("through", UTCDateTime(), nullable=False),  # chats that happened before this
    # Of those, how many were confirmed at or after `through`: when more are, it is stale.
    sa.Column("confirmed_late", sa.Integer, nullable=False),
    sa.Column("longest", sa.Integer, nullable=False),
    sa.Column("reach", sa.JSON, nullable=False),  # member → longest chain they received
)

# One-time codes that link a place to a community, or a member's accounts: only a hash is
# kept; a code is valid for minutes and used once (`used_at`).
link_codes = sa.Table(
    "link_codes",
    metadata,
    _id(),
    sa.Column("kind", sa.String(10), nullable=False),  # "place" or "account"
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("community_id", sa.ForeignKey("communities.id"), nullable=False, index=True),
    sa.Column("place_id", sa.ForeignKey("places.id"), nullable=False, index=True),
    sa.Column("member_id", sa.ForeignKey("members.id"), nullable=False, index=True),
    _created(),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("used_at", UTCDateTime(), nullable=True),
)
