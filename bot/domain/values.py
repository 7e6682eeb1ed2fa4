"""Parsing single values members type: formats, time zones, weekly windows, time frames, dates."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain.models import FORMATS, WEEKDAYS, Window
from bot.text import clean

FORMAT_SYNONYMS = {
    "call": "phone",
    "voice": "phone",
    "zoom": "video",
    "meet": "video",
    "video call": "video",
    "coffee": "in person",
    "in-person": "in person",
    "irl": "in person",
    "text": "text chat",
    "chat": "text chat",
    "dm": "text chat",
}


def parse_format(raw: str) -> str | None:
    value = clean(raw).lower()
    value = FORMAT_SYNONYMS.get(value, value)
    return value if value in FORMATS else None


def parse_timezone(raw: str) -> str:
    name = clean(raw)
    if not name or len(name) > 64:
        raise ValueError("empty")
    if name.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(name) from exc
    if name not in _zones():
        raise ValueError(name)
    return name


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


TIMEZONE_HELP = "Use an IANA time zone name such as Europe/Berlin, America/New_York or UTC."

_WINDOW = re.compile(
    r"(?P<days>[a-z]{3}(?:[a-z]*)(?:\s*-\s*[a-z]{3}[a-z]*)?)\s+"
    r"(?P<start>\d{1,2}(?::\d{2})?)\s*-\s*(?P<end>\d{1,2}(?::\d{2})?)"
    r"(?:\s*\(?overnight\)?)?"
)
WINDOWS_HELP = "Write e.g. “Mon 18:00-20:00; Tue-Thu 12-13”."
MAX_OVERNIGHT = timedelta(hours=12)


def parse_windows(raw: str) -> tuple[Window, ...]:
    """`Mon 18:00-20:00; Tue-Thu 12-13; Fri 22:00-01:00` (the last one runs overnight).

    A window that ends before it starts runs past midnight, up to MAX_OVERNIGHT: a late
    evening into the small hours is a real window, while `Mon 18:00-17:00` is far more likely
    a slip than 23 hours free, so it is refused with the reason. Errors are member-facing.
    """
    windows: list[Window] = []
    for part in re.split(r"[;,\n]", raw.lower()):
        part = part.strip()
        if not part:
            continue
        match = _WINDOW.fullmatch(part)
        unreadable = ValueError(f"I couldn't read “{part[:40]}”. {WINDOWS_HELP}")
        if not match:
            raise unreadable
        try:
            days = _days(match.group("days"))
            start, end = _clock(match.group("start")), _clock(match.group("end"))
        except ValueError:
            raise unreadable from None
        _check_length(part, start, end)
        windows.extend(Window(d, start, end) for d in days)
    if len(windows) > 21:
        raise ValueError("That is more than 21 weekly windows; merge some of them.")
    return tuple(sorted(set(windows), key=lambda w: (w.weekday, w.start)))


def _check_length(part: str, start: time, end: time) -> None:
    if start == end:
        raise ValueError(f"“{part[:40]}” starts and ends at the same time. {WINDOWS_HELP}")
    if end == time(0) or end > start:
        return  # ends at midnight (24:00) or later the same day
    overnight = datetime.combine(date.min + timedelta(days=1), end) - datetime.combine(
        date.min, start
    )
    if overnight > MAX_OVERNIGHT:
        hours = round(overnight / timedelta(hours=1))
        raise ValueError(
            f"“{part[:40]}” ends before it starts: it would run {hours} hours overnight. "
            f"Did you mean {end:%H:%M}-{start:%H:%M}? A window past midnight can be up to "
            "12 hours, e.g. “Fri 22:00-01:00”."
        )


def _days(text: str) -> list[int]:
    first, _, last = (t.strip()[:3] for t in text.partition("-"))
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        raise ValueError(text)
    a = WEEKDAYS.index(first)
    b = WEEKDAYS.index(last) if last else a
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


def _clock(text: str) -> time:
    hours, _, minutes = text.partition(":")
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return time(0, 0)
    return time(h, m)  # raises ValueError when out of range


_FRAME = re.compile(
    r"(?:within\s+|in\s+|next\s+)?(\d{1,3})?\s*(d|day|days|w|wk|week|weeks|m|mo|month|months)?"
)


def parse_time_frame(raw: str) -> int:
    """`2 weeks`, `10 days`, `1 month`, `3w`, `14` (days) → days, from 1 to 90."""
    value = clean(raw).lower()
    if value in ("", "soon", "flexible", "any time", "anytime"):
        return 14 if value != "flexible" else 30
    match = _FRAME.fullmatch(value)
    if not match or not (match.group(1) or match.group(2)):
        raise ValueError(value)
    count = int(match.group(1) or 1)
    unit = (match.group(2) or "d")[0]
    days = count * {"d": 1, "w": 7, "m": 30}[unit]
    if not 1 <= days <= 90:
        raise ValueError(value)
    return days


def parse_date(raw: str, timezone: str) -> datetime:
    """A day (YYYY-MM-DD) as the start of that day in the member's time zone."""
    day = date.fromisoformat(clean(raw))
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(timezone))


def default_pause(now: datetime, timezone: str, days: int) -> datetime:
    local = now.astimezone(ZoneInfo(timezone)) + timedelta(days=days)
    return datetime.combine(local.date(), time(0, 0), tzinfo=ZoneInfo(timezone))
