"""Who to ask for a request, best first, and why (DESIGN.md R8, R9, R10).

Shared affiliations rank first, then topic, role and organisation fit. Affiliation alone
never makes someone a candidate. When nobody fits exactly, matching widens to adjacent topics.
Among those who fit equally, volunteers free when the seeker is (R8) come before those who
aren't, then fewer recent chats first (see `order_key`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.common_time import SeekerTime, frame_of
from bot.domain.community import CommunitySettings
from bot.domain.models import (
    Candidate,
    MatchResult,
    RequestFields,
    VolunteerProfile,
    VolunteerStats,
)
from bot.domain.topics import adjacent_topics, is_adjacent, normalize_topic, topic_tokens

PERSON = 200.0
AFFILIATION = 100.0  # per shared affiliation
TOPIC = 50.0
ROLE = 30.0
ORGANISATION = 30.0
ADJACENT = 10.0
# Fewer recent chats win, but the penalty stays below the smallest boost: it never beats fit.
RECENCY = 9.0
# A reported no-show (R12) weighs like this many more recent chats, on the same capped curve.
NO_SHOW = 2.0
# An ask that didn't become a chat (declined, not now, left to expire: R2, R7) weighs like
# one more recent chat: the load is what was asked of them, whatever they answered, so those
# who just said no or didn't answer are asked after those who weren't asked lately.
ASKED = 1.0

_ROLE_STOPWORDS = frozenset({"a", "an", "the", "of", "at", "in", "for", "and", "&"})


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split()).strip(" .,;:!?\"'()")


def _tokens(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", _fold(text))) - _ROLE_STOPWORDS


def _contains(wanted: frozenset[str], offered: str) -> bool:
    """Every word asked for is in what is offered: "data scientist" fits "Senior Data Scientist"."""
    return bool(wanted) and wanted <= _tokens(offered)


def _with_article(role: str) -> str:
    first = role.casefold()
    vowel = first[:1] in "aeio" or (first[:1] == "u" and not first.startswith(("uni", "us", "ux")))
    return f"an {role}" if vowel else f"a {role}"


@dataclass(frozen=True)
class _Request:
    """The request's fields, normalised once for the whole pool."""

    topic: str
    shown_topic: str
    role: frozenset[str]
    organisation: frozenset[str]
    affiliations: frozenset[str]
    person: str
    format: str
    minutes: int

    @classmethod
    def of(cls, fields: RequestFields) -> _Request:
        return cls(
            topic=normalize_topic(fields.topic),
            shown_topic=fields.topic.strip(),
            role=_tokens(fields.target_role),
            organisation=_tokens(fields.target_org),
            affiliations=frozenset(filter(None, map(_fold, fields.affiliations))),
            person=fields.target_user_id.strip(),
            format=fields.format.casefold(),
            minutes=fields.minutes,
        )


def _exclusion(
    stats: VolunteerStats, request: _Request, seeker: int, now: datetime, cooldown: timedelta
) -> str | None:
    volunteer = stats.profile
    if volunteer.member_id == seeker:
        return "is the seeker"
    if request.person and volunteer.user_id != request.person:
        return "not the requested person"
    if not volunteer.active:
        return "left"
    if volunteer.paused_until is not None and volunteer.paused_until > now:
        return "paused"
    if stats.used_this_month + stats.outstanding >= volunteer.monthly_capacity:
        return "at capacity"
    declined = stats.last_declined_seeker_at
    if declined is not None and declined + cooldown > now:
        return "declined this seeker recently"
    if stats.asked_for_request:
        return "already asked for this request"
    formats = {f.casefold() for f in volunteer.formats}
    if formats and request.format not in formats:
        return f"does not offer {request.format}"
    if request.minutes > volunteer.minutes:
        return f"offers {volunteer.minutes} minutes at most"
    return None


_Boost = tuple[float, str]  # (score, reason)


def _fits(stats: VolunteerStats, request: _Request) -> list[_Boost]:
    """Direct fits; any one of them makes the volunteer a candidate in the exact tier."""
    volunteer = stats.profile
    fits = []
    if request.person:
        fits.append((PERSON, "the person you asked for"))
    if request.topic:
        topic = next((t for t in volunteer.topics if normalize_topic(t) == request.topic), None)
        if topic is not None:
            fits.append((TOPIC, f"works in {topic}"))
    if _contains(request.role, volunteer.role):
        fits.append((ROLE, f"is {_with_article(volunteer.role)}"))
    if _contains(request.organisation, volunteer.organisation):
        fits.append((ORGANISATION, f"works at {volunteer.organisation}"))
    return fits


def _near_fit(stats: VolunteerStats, request: _Request) -> list[_Boost]:
    for topic in stats.profile.topics:
        if is_adjacent(request.topic, topic):
            return [(ADJACENT, f"works in {topic}, close to {request.shown_topic}")]
    return []


def _candidate(
    stats: VolunteerStats,
    request: _Request,
    fits: list[_Boost],
    adjacent: bool,
    seeker_time: SeekerTime | None,
) -> Candidate:
    shared: dict[str, _Boost] = {}
    for affiliation in stats.profile.affiliations:
        key = _fold(affiliation)
        if key in request.affiliations and key not in shared:
            shared[key] = (AFFILIATION, f"you both list {affiliation}")
    boosts = sorted([*shared.values(), *fits], key=lambda boost: -boost[0])
    load = stats.given_recently + NO_SHOW * stats.no_shows_recently + ASKED * stats.asks_recently
    fit = sum(points for points, _ in boosts)
    score = fit - RECENCY * load / (load + 1)
    reasons = tuple(dict.fromkeys(reason for _, reason in boosts))
    common_time = True
    if seeker_time is not None:
        common = seeker_time.common(stats.profile.windows, stats.profile.timezone)
        common_time = bool(common)
        reasons += (seeker_time.describe(common),)
    return Candidate(
        stats.profile, score, reasons, adjacent=adjacent, fit=fit, common_time=common_time
    )


def rank(
    fields: RequestFields,
    seeker_member_id: int,
    pool: Sequence[VolunteerStats],
    now: datetime,
    settings: CommunitySettings,
    *,
    created_at: datetime | None = None,
) -> MatchResult:
    """The pool's candidates for the request, best first; `created_at` (the request's, else
    now) places the request's time frame, in which common free time is looked for."""
    request = _Request.of(fields)
    seeker_time = SeekerTime.of(fields, frame_of(fields, now, created_at))
    cooldown = timedelta(days=settings.decline_cooldown_days)
    excluded: dict[int, str] = {}
    exact: list[Candidate] = []
    near: list[Candidate] = []
    for stats in pool:
        reason = _exclusion(stats, request, seeker_member_id, now, cooldown)
        if reason is not None:
            excluded[stats.profile.member_id] = reason
            continue
        if fits := _fits(stats, request):
            exact.append(_candidate(stats, request, fits, False, seeker_time))
        elif not exact and (fits := _near_fit(stats, request)):
            # Only needed while nobody fits exactly; discarded as soon as someone does.
            near.append(_candidate(stats, request, fits, True, seeker_time))
    widened = not exact and bool(near)
    chosen = exact or near
    chosen.sort(key=order_key)
    return MatchResult(candidates=tuple(chosen), widened=widened, excluded=excluded)


def _topic_words(topic: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", _fold(normalize_topic(topic))))


def profile_keys(volunteer: VolunteerProfile) -> frozenset[str]:
    """Index words under which a volunteer can be found (see `request_keys`)."""
    keys = {f"@{volunteer.user_id}"} | _tokens(volunteer.role) | _tokens(volunteer.organisation)
    for topic in volunteer.topics:
        keys |= _topic_words(topic)
    return frozenset(keys)


def request_keys(fields: RequestFields) -> frozenset[str]:
    """Words any possible candidate shares with the request: its topic and adjacent topics,
    the role and organisation asked for, the person asked for. Every volunteer `rank` could
    return has at least one of them, so a pool narrowed by these keys ranks the same."""
    if fields.target_user_id:
        return frozenset({f"@{fields.target_user_id.strip()}"})
    keys = set(_topic_words(fields.topic)) if fields.topic else set()
    for topic in adjacent_topics(normalize_topic(fields.topic)) if fields.topic else ():
        keys |= _topic_words(topic)
    return frozenset(keys | _tokens(fields.target_role) | _tokens(fields.target_org))


# Postings: the index words a volunteer is found under, one kind per letter, so a request's
# score tiers are combinations of postings (see `storage.shortlist.shortlist`).


def posting_keys(volunteer: VolunteerProfile) -> frozenset[str]:
    """Index entries of an active volunteer: whole topics (t:), specific topic words (w:),
    role words (r:), organisation words (o:), affiliations (a:) and the person (@)."""
    keys = {f"@{volunteer.user_id}"}
    for topic in volunteer.topics:
        name = normalize_topic(topic)
        if name:
            keys.add(f"t:{name}")
        keys |= {f"w:{word}" for word in topic_tokens(topic)}
    keys |= {f"r:{word}" for word in _tokens(volunteer.role)}
    keys |= {f"o:{word}" for word in _tokens(volunteer.organisation)}
    keys |= {f"a:{name}" for name in map(_fold, volunteer.affiliations) if name}
    return frozenset(keys)


@dataclass(frozen=True)
class Postings:
    """The postings a request's tiers are made of: a direct fit is the topic, all the role
    words, or all the organisation words; each shared affiliation adds to the score; when
    nobody fits directly, adjacent topics (or a shared specific topic word) do."""

    person: str
    topic: str
    role: frozenset[str]
    organisation: frozenset[str]
    affiliations: frozenset[str]
    near: frozenset[str]

    @classmethod
    def of(cls, fields: RequestFields) -> Postings:
        request = _Request.of(fields)
        near: set[str] = set()
        if request.topic:
            near |= {f"t:{topic}" for topic in adjacent_topics(request.topic)}
            near |= {f"w:{word}" for word in topic_tokens(request.topic)}
        return cls(
            person=f"@{request.person}" if request.person else "",
            topic=f"t:{request.topic}" if request.topic else "",
            role=frozenset(f"r:{word}" for word in request.role),
            organisation=frozenset(f"o:{word}" for word in request.organisation),
            affiliations=frozenset(f"a:{name}" for name in request.affiliations),
            near=frozenset(near),
        )


def order_key(candidate: Candidate) -> tuple[float, bool, float, int]:
    """Fit first (R9: affiliations, then topic, role, organisation), then common free time
    (R8), then fewer recent chats (the score's load), then the oldest member. Time comes
    after fit so a better fit is never passed over for a calendar, and before load because
    an ask that can't become a chat helps nobody."""
    return (
        -candidate.fit,
        not candidate.common_time,
        -candidate.score,
        candidate.volunteer.member_id,
    )
