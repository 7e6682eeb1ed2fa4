"""The core's vocabulary: plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum


class RequestStatus(StrEnum):
    DRAFT = "draft"  # coach warnings shown, waiting for "send anyway"
    OPEN = "open"  # looking for a volunteer (possibly with one active ask)
    INTRODUCED = "introduced"
    COMPLETED = "completed"
    CLOSED = "closed"  # cancelled, denied, nobody left, expired


class AskStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for a moderator
    ASKED = "asked"  # waiting for the volunteer
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NOT_NOW = "not_now"
    SUGGESTED = "suggested"  # the volunteer suggested a colleague instead
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # request cancelled or volunteer left
    DENIED = "denied"  # a moderator said no


ACTIVE_ASK = frozenset({AskStatus.PROPOSED, AskStatus.ASKED})
OPEN_REQUEST = frozenset({RequestStatus.OPEN})

# Legal ask transitions: state → states it may move to. Anything else is refused.
ASK_TRANSITIONS: dict[AskStatus, frozenset[AskStatus]] = {
    AskStatus.PROPOSED: frozenset({AskStatus.ASKED, AskStatus.DENIED, AskStatus.WITHDRAWN}),
    AskStatus.ASKED: frozenset(
        {
            AskStatus.ACCEPTED,
            AskStatus.DECLINED,
            AskStatus.NOT_NOW,
            AskStatus.SUGGESTED,
            AskStatus.EXPIRED,
            AskStatus.WITHDRAWN,
        }
    ),
}

FORMATS = ("video", "phone", "in person", "text chat")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Window:
    """A weekly availability window in its owner's time zone. end <= start crosses midnight
    (end 00:00 is the end of the day)."""

    weekday: int  # 0 = Monday
    start: time
    end: time

    def __str__(self) -> str:
        """As members write it (it reads back the same), a window past midnight marked so."""
        day = WEEKDAYS[self.weekday].capitalize()
        if self.end == time(0):
            return f"{day} {self.start:%H:%M}-24:00"
        overnight = " (overnight)" if self.end < self.start else ""
        return f"{day} {self.start:%H:%M}-{self.end:%H:%M}{overnight}"


@dataclass(frozen=True)
class VolunteerProfile:
    member_id: int
    user_id: str
    display_name: str
    role: str
    organisation: str
    topics: tuple[str, ...]
    affiliations: tuple[str, ...] = ()
    timezone: str = "UTC"
    languages: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("video",)
    minutes: int = 30  # the longest chat they offer
    monthly_capacity: int = 2
    windows: tuple[Window, ...] = ()
    paused_until: datetime | None = None
    active: bool = True
    # How they'd like to be reached after an introduction across places (optional; offered
    # to the seeker only with their Accept).
    contact: str = ""


@dataclass(frozen=True)
class RequestFields:
    """What a seeker fills in; validated and cleaned before it gets here."""

    topic: str
    why: str
    questions: tuple[str, ...]
    minutes: int
    format: str
    time_frame_days: int
    target_role: str = ""
    target_org: str = ""
    target_user_id: str = ""  # a specific volunteer the seeker would like to talk to
    affiliations: tuple[str, ...] = ()  # the seeker's schools, employers, groups
    timezone: str = "UTC"  # the seeker's zone, for proposing times (R8)
    windows: tuple[Window, ...] = ()  # the seeker's weekly windows, in their zone


@dataclass(frozen=True)
class VolunteerStats:
    """A volunteer as matching sees them for one request, with the counts it needs."""

    profile: VolunteerProfile
    used_this_month: int = 0  # introductions this calendar month, in the volunteer's zone
    outstanding: int = 0  # asks waiting on a moderator or on them
    given_recently: int = 0  # introductions in the last 90 days
    last_declined_seeker_at: datetime | None = None  # when they last declined this seeker
    asked_for_request: bool = False  # already asked (any outcome) for this request
    no_shows_recently: int = 0  # chats they missed, as reported, in the last 60 days
    # Asks of the last 60 days that didn't become an introduction: declined, not now, lapsed.
    asks_recently: int = 0


@dataclass(frozen=True)
class Candidate:
    volunteer: VolunteerProfile
    score: float
    reasons: tuple[str, ...]
    adjacent: bool = False  # found only by widening to an adjacent topic
    fit: float = 0.0  # the score's fit points (its tier), before load lowers it
    common_time: bool = True  # free when the seeker is (or the seeker gave no windows)


@dataclass(frozen=True)
class MatchResult:
    candidates: tuple[Candidate, ...]
    widened: bool = False
    excluded: dict[int, str] = field(default_factory=dict)  # member_id → why (for logs/tests)


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    code: str  # stable identifier, e.g. "why_too_short"
    severity: Severity
    field: str  # the form field it is about
    message: str  # what to change, addressed to the seeker
