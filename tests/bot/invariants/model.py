"""The model the invariants are checked against: who is who, what they may do, and the
settings of the random runs (see test_invariants.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings

from bot.domain.community import CommunitySettings
from tests.support import COMMUNITY, OTHER_PLACE

SETTINGS = settings(
    max_examples=80,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SEEKERS = ("sam", "sky")
MODERATOR = "mona"  # a moderator who sometimes asks for chats herself
OTHER_MODERATOR = "odile"  # the moderator of the community's second place
MODERATORS = (MODERATOR, OTHER_MODERATOR)
ASKERS = (*SEEKERS, MODERATOR)
VOLUNTEERS = ("quillon", "xanthe", "yorrick", "zephyrine")
COLLEAGUE = "wendeline"  # not a volunteer at first: reachable as a suggested colleague
HELPERS = (*VOLUNTEERS, COLLEAGUE)
EVERYONE = (*ASKERS, *HELPERS, OTHER_MODERATOR)
# The community lives on two places; everyone acts from one of them. A handle named on the
# other place (a suggested colleague, a person asked for) is another account there, which
# the machine calls "user@place" (see `Infochats.user_of`).
HOMES = {
    **dict.fromkeys(("sam", MODERATOR, "quillon", "xanthe"), COMMUNITY),
    **dict.fromkeys(("sky", OTHER_MODERATOR, "yorrick", "zephyrine", COLLEAGUE), OTHER_PLACE),
}
PLACES = {place.external_id: place for place in (COMMUNITY, OTHER_PLACE)}
TOPICS = ("data engineering", "data science", "product management", "ux research")
REQUEST_TOPICS = (*TOPICS, "machine learning", "underwater basket weaving")
ZONES = ("UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Auckland")
NOT_NOW_DAYS = CommunitySettings().not_now_default_days

WHY = (
    "I am a backend developer moving toward this field and want to hear how the work "
    "differs day to day from what I do now."
)
GOOD_QUESTIONS = (
    "What does a typical week look like in your role?",
    "Which skills mattered most when you moved into this work?",
)
# Coach warnings only (they aren't questions): a draft, unless the seeker overrides.
WEAK_QUESTIONS = (
    "Tell me about a typical week in your role",
    "Tell me which skills mattered most for you",
)
CLICKS = frozenset(
    {
        "request.submit",
        "request.discard",
        "request.pick",
        "request.cancel",
        "ask.accept",
        "ask.accept_contact",
        "ask.decline",
        "ask.not_now",
        "ask.suggest",
        "mod.approve",
        "mod.deny",
    }
)
ACTIVE = ("proposed", "asked")
# How a volunteer says they'd like to be reached, across places: "name@example.org" for
# everyone of the cast (in their profile, or typed into the Accept's form).
CONTACT = re.compile(r"\b([a-z]+)@example\.org\b")
CONSENTS = ("give", "give", "give", "leave", "bad")  # the Accept's form: answered, or not
ANSWERS = {"accepted": "accept", "declined": "decline", "not_now": "not_now"}
ANSWERS["suggested"] = "suggest"
# Next steps for a live request (see `move_on`), the usual one more often.
MOVES: tuple[str, ...] = ("new", "new", "forward", "forward", "forward", "decline", "not_now")
MOVES += ("suggest", "cancel", "intruder", "deny", "leave", "pause", "squeeze", "fill")
FORWARD = ("forward", "forward", "forward", "suggest", "not_now", "decline")
MOSTLY = (True, True, True, True, False)  # drawn from: the usual case four times in five

Snapshot = dict[str, list[dict[str, Any]]]


def display(user: str) -> str:
    return user.capitalize()


def contact_of(user: str) -> str:
    """The contact of a member of the cast, on any of their accounts ("name@place")."""
    return f"{user.partition('@')[0]}@example.org"


def when(value: str | None) -> datetime | None:
    """A datetime as SQLite stores it (naive UTC text) → aware UTC."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def start_of(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def paused(until: datetime | None, now: datetime) -> datetime | None:
    """A pause that is still running (one in the past is no pause)."""
    return until if until is not None and until > now else None


def without_keys(snap: Snapshot) -> Snapshot:
    return {table: rows for table, rows in snap.items() if table != "processed_commands"}


Address = tuple[int, str]  # (place id, user id): an account, where a message reaches someone


@dataclass(frozen=True)
class Outbox:
    id: int
    place_id: int  # the place it goes out on
    kind: str
    user_ids: tuple[str, ...]
    text: str  # the whole message as JSON: text, title, lines, buttons
    buttons: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, row: dict[str, Any]) -> Outbox:
        destination, message = json.loads(row["destination"]), json.loads(row["message"])
        return cls(
            row["id"],
            row["place_id"],
            destination["kind"],
            tuple(destination.get("user_ids") or ()),
            row["message"],
            frozenset((b["action"], b["target"]) for b in message.get("buttons", ())),
        )

    def reaches(self, address: Address) -> bool:
        """Sent to this account, on its place."""
        return self.place_id == address[0] and address[1] in self.user_ids

    @property
    def words(self) -> str:
        """What the message says (mentions aside: each place keeps only its own members')."""
        return str(json.loads(self.text)["text"])

    @property
    def addresses(self) -> tuple[Address, ...]:
        return tuple((self.place_id, user) for user in self.user_ids)


def reach_of(member: dict[str, Any], members: dict[int, dict[str, Any]]) -> Address:
    """Where messages to a member must go: the account a person used last, else their own."""
    if member["person_id"] is None and member["reach_id"] is not None:
        member = members[member["reach_id"]]
    return member["place_id"], member["user_id"]


@dataclass(frozen=True)
class Decline:
    seeker: int  # member ids
    volunteer: int
    name: str  # the volunteer's display name
    request: int
    after_outbox: int  # the outbox's last id before the decline


@dataclass
class Helper:
    """What the model knows about a volunteer: set by their successful commands only."""

    profile: dict[str, str]  # their volunteer.join arguments
    joined: bool = False
    active: bool = False
    paused_until: datetime | None = None
    capacity: int = 0
    highest_capacity: int = 0

    def askable(self, now: datetime) -> bool:
        return self.active and paused(self.paused_until, now) is None
