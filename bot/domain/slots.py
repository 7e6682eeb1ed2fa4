"""Proposing chat times (R8): slots that fall in both people's weekly windows.

Windows are wall-clock times in each person's own zone, so each one is placed on each
concrete date with zoneinfo: a window keeps its local time across a daylight-saving change
(its UTC time moves), a window whose end is not after its start runs past midnight, local
times that don't exist (spring forward) are skipped, and local times that happen twice (fall
back) count from their first occurrence to their last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.models import Window

STEP = timedelta(minutes=30)  # slots start on :00 or :30, in the volunteer's zone

Interval = tuple[datetime, datetime]  # [start, end) in UTC


def propose_slots(
    volunteer_windows: Sequence[Window],
    volunteer_tz: str,
    seeker_windows: Sequence[Window],
    seeker_tz: str,
    minutes: int,
    start: datetime,
    end: datetime,
    count: int = 3,
) -> tuple[datetime, ...]:
    """UTC starts of up to `count` slots of `minutes` inside [start, end) that suit both.

    Without seeker windows only the volunteer's count; without volunteer windows there are
    none. The slots are on different days where possible, spread over the period."""
    if not volunteer_windows or minutes <= 0 or count <= 0 or end <= start:
        return ()
    free = occurrences(volunteer_windows, volunteer_tz, start, end)
    if seeker_windows:
        free = intersect(free, occurrences(seeker_windows, seeker_tz, start, end))
    length = timedelta(minutes=minutes)
    zone = ZoneInfo(volunteer_tz)
    candidates = [s for a, b in free for s in _grid(max(a, start), min(b, end) - length, zone)]
    return spread(candidates, length, zone, count)


def occurrences(
    windows: Iterable[Window], timezone: str, start: datetime, end: datetime
) -> list[Interval]:
    """Each window on each concrete date around [start, end), as merged UTC intervals."""
    zone = ZoneInfo(timezone)
    first = start.astimezone(zone).date() - timedelta(days=1)  # a window from the day before
    last = end.astimezone(zone).date()
    found: list[Interval] = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        for w in windows:
            if w.weekday != day.weekday():
                continue
            end_day = day if w.end > w.start else day + timedelta(days=1)
            a = to_utc(day, w.start, zone, first_occurrence=True)
            b = to_utc(end_day, w.end, zone, first_occurrence=False)
            if a < b and b > start and a < end:
                found.append((a, b))
    return merge(found)


def to_utc(day: date, clock: time, zone: ZoneInfo, *, first_occurrence: bool) -> datetime:
    """A local wall time as a UTC instant. One that happens twice (fall back) is its first
    or last occurrence; one that doesn't exist (spring forward) is the moment of the jump,
    so no slot is ever placed in the gap."""
    wall = datetime.combine(day, clock)
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    late = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if early.astimezone(zone).replace(tzinfo=None) != wall:
        return _jump(late, early, zone)  # nonexistent: fold=1 lands before the jump, fold=0 after
    return min(early, late) if first_occurrence else max(early, late)


def _jump(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The first instant at or after which the zone's offset is the one at `after`."""
    offset = after.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            after = middle
        else:
            before = middle
    return after.replace(microsecond=0)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def intersect(left: Sequence[Interval], right: Sequence[Interval]) -> list[Interval]:
    found: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if a < b:
            found.append((a, b))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return found


def _grid(first: datetime, last: datetime, zone: ZoneInfo) -> Iterable[datetime]:
    """Instants from `first` to `last` (inclusive) on :00 and :30 of the zone's clock."""
    local = first.astimezone(zone)
    past = timedelta(
        minutes=local.minute % 30, seconds=local.second, microseconds=local.microsecond
    )
    current = first if not past else first - past + STEP
    while current <= last:
        yield current
        current += STEP


def spread(
    candidates: Sequence[datetime], length: timedelta, zone: ZoneInfo, count: int
) -> tuple[datetime, ...]:
    """Pick up to `count` non-overlapping starts, the earliest first. Each next one is on a
    day (in `zone`) not picked yet, as many days as possible from the picked ones, at the
    earliest time of that day; once every day is used, the start farthest from the others."""
    chosen: list[datetime] = []
    while len(chosen) < count:
        free = [c for c in candidates if all(abs(c - x) >= length for x in chosen)]
        if not free:
            break
        chosen.append(max(free, key=lambda c: _score(c, chosen, zone)))
    return tuple(sorted(chosen))


def _score(
    c: datetime, chosen: Sequence[datetime], zone: ZoneInfo
) -> tuple[bool, int, timedelta, float]:
    day = c.astimezone(zone).date()
    days = min((abs((day - x.astimezone(zone).date()).days) for x in chosen), default=1 << 30)
    if days > 0:
        return True, days, timedelta(0), -c.timestamp()
    distance = min(abs(c - x) for x in chosen)
    return False, 0, distance, -c.timestamp()
