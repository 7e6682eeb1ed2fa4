"""Forms the core offers (request, volunteer profile) and the validation of what comes back.

Validation happens here whatever the adapter did: every field is cleaned, bounded and checked,
and problems come back per field so a modal can show them inline.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from bot.commands import Args, arg_list, arg_str
from bot.domain.community import CommunitySettings
from bot.domain.models import FORMATS, RequestFields, VolunteerProfile, Window
from bot.domain.values import (
    TIMEZONE_HELP,
    default_pause,
    parse_date,
    parse_format,
    parse_time_frame,
    parse_timezone,
    parse_windows,
)
from bot.errors import InvalidInput
from bot.text import clean

MAX_SHORT = 100
MAX_LONG = 1000
MAX_QUESTION = 300
MAX_ITEMS = 10

REQUEST_KEYS = frozenset(
    {
        "topic",
        "why",
        "questions",
        "minutes",
        "format",
        "time_frame",
        "role",
        "organisation",
        "person",
        "affiliations",
        "timezone",
        "windows",
        "override",
        "replaces",
        "person_name",  # the name the platform shows for a picked `person`
    }
)
VOLUNTEER_KEYS = frozenset(
    {
        "role",
        "organisation",
        "topics",
        "affiliations",
        "timezone",
        "languages",
        "formats",
        "minutes",
        "monthly_capacity",
        "windows",
        "weekly_digest",
        "contact",
    }
)


class FieldErrors:
    """Collects per-field problems so the member sees all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            lines = "\n".join(f"• {name}: {problem}" for name, problem in self.errors.items())
            raise InvalidInput(f"Please fix these and send again:\n{lines}", fields=self.errors)


def reject_unknown(args: Args, allowed: frozenset[str]) -> None:
    unknown = sorted(set(args) - allowed)
    if unknown:
        shown = sorted(name for name in allowed - {"override"} if not name.endswith("_name"))
        names = f"The fields are: {', '.join(shown)}." if shown else "This takes no fields."
        raise InvalidInput(
            f"I don't know the field “{unknown[0][:30]}”. {names}",
            fields={unknown[0][:30]: "Unknown field."},
        )


def text_field(
    args: Args,
    key: str,
    errors: FieldErrors,
    *,
    required: bool,
    limit: int,
    multiline: bool = False,
    default: str = "",
) -> str:
    try:
        raw = arg_str(args, key, default)
    except InvalidInput as exc:
        errors.add(key, exc.message)
        return ""
    value = clean(raw, multiline=multiline)
    if required and not value:
        errors.add(key, "This is required.")
    elif len(value) > limit:
        errors.add(key, f"Keep this under {limit} characters (it has {len(value)}).")
    return value


def list_field(
    args: Args,
    key: str,
    errors: FieldErrors,
    *,
    limit: int = MAX_SHORT,
    most: int = MAX_ITEMS,
    separators: str = ",;\n",
) -> tuple[str, ...]:
    items: list[str] = []
    for raw in arg_list(args, key):
        items.extend(re.split(f"[{re.escape(separators)}]", raw))
    values = tuple(dict.fromkeys(v for v in (clean(i) for i in items) if v))
    if len(values) > most:
        errors.add(key, f"Give at most {most} items.")
    for value in values:
        if len(value) > limit:
            errors.add(key, f"Keep each item under {limit} characters.")
    return values[:most]


def int_field(
    args: Args, key: str, errors: FieldErrors, *, default: int, low: int, high: int
) -> int:
    raw = clean(arg_str(args, key, "")) if not isinstance(args.get(key), tuple) else ""
    if isinstance(args.get(key), tuple):
        errors.add(key, "Give this only once.")
        return default
    if not raw:
        return default
    match = re.fullmatch(r"(\d{1,4})\s*(min|mins|minutes|m|per month|/month|a month)?", raw.lower())
    if not match:
        errors.add(key, f"Give a whole number from {low} to {high}.")
        return default
    value = int(match.group(1))
    if not low <= value <= high:
        errors.add(key, f"Give a whole number from {low} to {high}.")
        return default
    return value


def parse_request(args: Args, settings: CommunitySettings) -> tuple[RequestFields, str]:
    """Validated request fields, and the raw `person` reference (resolved by the service)."""
    reject_unknown(args, REQUEST_KEYS)
    errors = FieldErrors()
    topic = text_field(args, "topic", errors, required=True, limit=MAX_SHORT)
    why = text_field(args, "why", errors, required=True, limit=MAX_LONG, multiline=True)
    questions = list_field(args, "questions", errors, limit=MAX_QUESTION, most=5, separators="|\n")
    if not questions:
        errors.add("questions", 'Give 2–3 questions, e.g. q="…?" q="…?".')
    minutes = int_field(args, "minutes", errors, default=settings.default_minutes, low=5, high=120)
    fmt = parse_format(arg_str(args, "format", "video") or "video")
    if fmt is None:
        errors.add("format", f"Choose one of: {', '.join(FORMATS)}.")
    try:
        days = parse_time_frame(arg_str(args, "time_frame", ""))
    except ValueError:
        errors.add(
            "time_frame", "Say when, e.g. “2 weeks”, “10 days” or “1 month” (90 days at most)."
        )
        days = 14
    role = text_field(args, "role", errors, required=False, limit=MAX_SHORT)
    org = text_field(args, "organisation", errors, required=False, limit=MAX_SHORT)
    person = text_field(args, "person", errors, required=False, limit=MAX_SHORT)
    affiliations = list_field(args, "affiliations", errors)
    timezone, windows = availability(args, errors)
    errors.raise_if_any()
    fields = RequestFields(
        topic=topic,
        why=why,
        questions=questions,
        minutes=minutes,
        format=fmt or "video",
        time_frame_days=days,
        target_role=role,
        target_org=org,
        affiliations=affiliations,
        timezone=timezone,
        windows=windows,
    )
    return fields, person


def availability(args: Args, errors: FieldErrors) -> tuple[str, tuple[Window, ...]]:
    """The seeker's optional time zone (UTC when not given) and weekly windows (R8)."""
    raw_zone = text_field(args, "timezone", errors, required=False, limit=64)
    raw_windows = text_field(
        args, "windows", errors, required=False, limit=MAX_SHORT * 5, multiline=True
    )
    timezone = "UTC"
    windows: tuple[Window, ...] = ()
    if raw_zone:
        try:
            timezone = parse_timezone(raw_zone)
        except ValueError:
            errors.add("timezone", TIMEZONE_HELP)
    try:
        windows = parse_windows(raw_windows)
    except ValueError as exc:
        errors.add("windows", str(exc))
    return timezone, windows


def parse_volunteer(
    args: Args, base: VolunteerProfile | None, member_id: int, user_id: str, display_name: str
) -> VolunteerProfile:
    """A new profile (base None: role, organisation, topics and timezone required) or an edit."""
    reject_unknown(args, VOLUNTEER_KEYS)
    errors = FieldErrors()
    new = base is None
    profile = base or VolunteerProfile(member_id, user_id, display_name, "", "", ())
    changes: dict[str, object] = {"display_name": display_name}
    for key in ("role", "organisation"):
        if new or key in args:
            changes[key] = text_field(args, key, errors, required=True, limit=MAX_SHORT)
    for key in ("topics", "affiliations", "languages"):
        if new or key in args:
            changes[key] = list_field(args, key, errors, limit=50)
    if (new or "topics" in args) and not changes.get("topics"):
        errors.add("topics", "Name at least one topic you can talk about.")
    if new or "timezone" in args:
        try:
            changes["timezone"] = parse_timezone(arg_str(args, "timezone", ""))
        except ValueError:
            errors.add("timezone", TIMEZONE_HELP)
    if "formats" in args:
        formats = [parse_format(f) for f in list_field(args, "formats", errors)]
        if not formats or None in formats:
            errors.add("formats", f"Choose from: {', '.join(FORMATS)}.")
        changes["formats"] = tuple(dict.fromkeys(f for f in formats if f))
    if "minutes" in args:
        changes["minutes"] = int_field(
            args, "minutes", errors, default=profile.minutes, low=10, high=120
        )
    if "monthly_capacity" in args:
        changes["monthly_capacity"] = int_field(
            args, "monthly_capacity", errors, default=profile.monthly_capacity, low=1, high=20
        )
    if "windows" in args:
        try:
            changes["windows"] = parse_windows(arg_str(args, "windows", ""))
        except ValueError as exc:
            errors.add("windows", str(exc))
    if "contact" in args:
        changes["contact"] = contact_field(args, errors, required=False)
    try:
        weekly_digest_choice(args)  # stored on the member by the service, checked here
    except InvalidInput as exc:
        errors.add("weekly_digest", exc.message)
    errors.raise_if_any()
    return replace(profile, active=True, **changes)  # type: ignore[arg-type]


MAX_CONTACT = 300
CONTACT_HELP = (
    "an email address, a profile URL, a calendar link, or your handle on the other platform"
)
# Mass or group mentions (`@everyone`, Slack's `<!channel>`, Discord's `<@&role>`) have no
# place in a contact: refused, not just defused, so nobody passes one on by accident.
_GROUP_MENTION = re.compile(r"(?<![\w.])@(everyone|here|channel)|<!|<@&", re.IGNORECASE)


def contact_field(args: Args, errors: FieldErrors, *, required: bool) -> str:
    """How a member would like to be reached after an introduction across places: one line,
    at most `MAX_CONTACT` characters, no mass mentions; "" when not given (and not required)."""
    try:
        raw = arg_str(args, "contact", "")
    except InvalidInput as exc:
        errors.add("contact", exc.message)
        return ""
    if "\n" in raw.strip() or "\r" in raw.strip():
        errors.add("contact", "Keep it on one line.")
        return ""
    value = clean(raw)
    if required and not value:
        errors.add("contact", f"Say how they can reach you: {CONTACT_HELP}.")
    elif len(value) > MAX_CONTACT:
        errors.add("contact", f"Keep this under {MAX_CONTACT} characters (it has {len(value)}).")
    elif _GROUP_MENTION.search(value):
        errors.add("contact", "No @everyone, @here or channel mentions: give a way to reach you.")
    else:
        return value
    return ""


def parse_contact(args: Args) -> str:
    """A required contact (an Accept across places, the seeker's reply), or `InvalidInput`."""
    errors = FieldErrors()
    value = contact_field(args, errors, required=True)
    errors.raise_if_any()
    return value


def weekly_digest_choice(args: Args) -> bool | None:
    """`weekly_digest=yes|no`: the volunteer's personal weekly DM; None when not given."""
    raw = clean(arg_str(args, "weekly_digest", "")).lower()
    if raw in ("yes", "y", "on", "true"):
        return True
    if raw in ("no", "n", "off", "false"):
        return False
    if not raw:
        return None
    raise InvalidInput("weekly_digest takes yes or no.", fields={"weekly_digest": "Say yes or no."})


MAX_PAUSE_DAYS = 365


def pause_until(args: Args, timezone: str, now: datetime, default_days: int) -> datetime:
    """The day a pause ends: `until=YYYY-MM-DD` (the start of that day where the volunteer
    lives), in the future and within a year; by default `default_days` from today."""
    raw = arg_str(args, "until", "")
    if not raw.strip():
        return default_pause(now, timezone, default_days)
    try:
        until = parse_date(raw, timezone)
    except ValueError:
        example = default_pause(now, timezone, default_days).date().isoformat()
        raise InvalidInput(
            f"Give the date as YYYY-MM-DD, e.g. {example}.", fields={"until": "Use YYYY-MM-DD."}
        ) from None
    if until <= now or until > now + timedelta(days=MAX_PAUSE_DAYS):
        raise InvalidInput(
            "Pick a date in the future, within a year.",
            fields={"until": "A future date, within a year."},
        )
    return until
