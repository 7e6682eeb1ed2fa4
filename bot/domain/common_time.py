"""When a seeker and a volunteer are both free (R8), for matching: whether their weekly
windows share a chat's length within the request's time frame (each window placed on its
dates in its owner's zone, as `slots` does when proposing times), and that shared time in
words the seeker reads, in the seeker's zone ("you're both free Tuesday evenings")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.models import RequestFields, Window
from bot.domain.slots import Interval, intersect, occurrences

NO_COMMON_TIME = "no common time yet"
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_STEP = timedelta(minutes=30)
_WEEK = timedelta(days=7)


def frame_of(fields: RequestFields, now: datetime, created_at: datetime | None) -> Interval:
    """The request's time frame from now: until its end (from when it was made); a request
    still open past its frame looks as far ahead again."""
    days = timedelta(days=fields.time_frame_days)
    end = (created_at or now) + days
    return (now, end if end > now else now + days)


@dataclass(frozen=True)
class SeekerTime:
    """The seeker's free intervals in the frame, computed once per ranking."""

    free: tuple[Interval, ...]
    zone: str
    frame: Interval
    length: timedelta

    @classmethod
    def of(cls, fields: RequestFields, frame: Interval) -> SeekerTime | None:
        """None when the seeker gave no windows: time then neither helps nor hurts anyone."""
        if not fields.windows:
            return None
        start, end = frame
        free = _clip(occurrences(fields.windows, fields.timezone, start, end), frame)
        return cls(tuple(free), fields.timezone, frame, timedelta(minutes=max(fields.minutes, 1)))

    def common(self, windows: Sequence[Window], timezone: str) -> list[Interval]:
        """The intervals both are free, each long enough for the chat."""
        if not windows or not self.free:
            return []
        start, end = self.frame
        theirs = _clip(occurrences(windows, timezone, start, end), self.frame)
        return [(a, b) for a, b in intersect(list(self.free), theirs) if b - a >= self.length]

    def describe(self, common: Sequence[Interval]) -> str:
        """The reason shown to the seeker: the part of the day they share most, and on
        which days of the week (the first week of the frame stands for every week)."""
        if not common:
            return NO_COMMON_TIME
        zone = ZoneInfo(self.zone)
        horizon = common[0][0] + _WEEK
        minutes: Counter[tuple[int, str]] = Counter()
        for a, b in common:
            moment = a
            while moment < min(b, horizon):
                local = moment.astimezone(zone)
                minutes[local.weekday(), _part(local.hour)] += 1
                moment += _STEP
        by_part: Counter[str] = Counter()
        for (_, part), n in minutes.items():
            by_part[part] += n
        part = max(_PARTS, key=lambda p: by_part[p])
        days = sorted({day for day, p in minutes if p == part})
        return f"you're both free {_when(days, part)}"


def _clip(intervals: list[Interval], frame: Interval) -> list[Interval]:
    start, end = frame
    return [(max(a, start), min(b, end)) for a, b in intervals if b > start and a < end]


_PARTS = ("evening", "morning", "afternoon", "night")  # the first wins a tie


def _part(hour: int) -> str:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def _when(days: list[int], part: str) -> str:
    parts = f"{part}s"
    if len(days) == 7:
        return f"every {part}"
    if days == [5, 6]:
        return f"weekend {parts}"
    if set(range(5)) <= set(days):
        return f"weekday {parts}"
    names = [_DAYS[d] for d in days]
    if len(names) == 1:
        return f"{names[0]} {parts}"
    if len(names) <= 3:
        return f"{', '.join(names[:-1])} and {names[-1]} {parts}"
    return f"{parts} on {len(names)} days a week"
