"""What the simulated members saw, and the invariants counted from it (not read from the core).

- An ask past capacity: it reached a volunteer who, at that moment, already had as many
  introductions this calendar month (in their zone) plus asks still waiting as their monthly
  capacity (the rule of `matching._exclusion`, counted as `storage.volunteers.load` does).
- An ask while paused: it reached a volunteer before the day their pause (or "not right now")
  ends.
- An introduction without an accept: a volunteer introduced to a seeker without having
  accepted an ask of that seeker's just before.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import CommunityRef
from bot.services.forms import parse_volunteer
from bot.simulate.plan import VolunteerPlan
from bot.storage.volunteers import month_start
from bot.views import Destination, Message

# "Ask #12 has lapsed…" (expiry) and "…the ask about x (ask #12) any more" (withdrawal).
CLOSED = re.compile(r"\bask #(\d+)\b", re.IGNORECASE)


@dataclass
class Inbox:
    """A transport that keeps what was delivered, in order, until the driver takes it."""

    delivered: list[tuple[Destination, Message]] = field(default_factory=list)

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        self.delivered.append((destination, message))

    def take(self) -> list[tuple[Destination, Message]]:
        taken, self.delivered = self.delivered, []
        return taken


@dataclass
class Watch:
    past_capacity: int = 0
    while_paused: int = 0
    without_accept: int = 0
    capacity: dict[str, int] = field(default_factory=dict)  # user id → monthly capacity
    zones: dict[str, ZoneInfo] = field(default_factory=dict)
    paused_until: dict[str, datetime] = field(default_factory=dict)
    waiting: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    introductions: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    accepts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (seeker, volunteer)
    owner: dict[int, str] = field(default_factory=dict)  # ask id → volunteer

    def joined(self, volunteer: VolunteerPlan) -> None:
        """Their capacity and zone, read from their join arguments as the core reads them."""
        profile = parse_volunteer(volunteer.join, None, 0, volunteer.user_id, volunteer.name)
        self.capacity[volunteer.user_id] = profile.monthly_capacity
        self.zones[volunteer.user_id] = ZoneInfo(profile.timezone)

    def zone(self, user: str) -> ZoneInfo:
        return self.zones.get(user, ZoneInfo("UTC"))

    def asked(self, user: str, ask_id: int, now: datetime) -> bool:
        """An ask reached `user`; False when it was seen before (a reminder)."""
        if ask_id in self.owner:
            return False
        self.owner[ask_id] = user
        if user in self.capacity:
            paused = self.paused_until.get(user)
            if paused is not None and paused > now:
                self.while_paused += 1
            start = month_start(now, self.zone(user).key)
            used = sum(1 for at in self.introductions[user] if at >= start)
            if used + len(self.waiting[user]) >= self.capacity[user]:
                self.past_capacity += 1
        self.waiting[user].add(ask_id)
        return True

    def is_waiting(self, user: str, ask_id: int) -> bool:
        return ask_id in self.waiting[user]

    def answered(self, user: str, ask_id: int) -> None:
        self.waiting[user].discard(ask_id)

    def closed(self, text: str) -> None:
        """A member was told an ask lapsed or was withdrawn."""
        for found in CLOSED.finditer(text):
            ask_id = int(found.group(1))
            user = self.owner.get(ask_id)
            if user is not None:
                self.waiting[user].discard(ask_id)

    def paused(self, user: str, until: datetime) -> None:
        """A pause took effect: the core withdrew every ask still waiting for them."""
        self.paused_until[user] = until
        self.waiting[user].clear()

    def accepted(self, seeker: str, volunteer: str) -> None:
        self.accepts[(seeker, volunteer)] += 1

    def introduced(self, seeker: str, volunteer: str, now: datetime) -> None:
        if self.accepts[(seeker, volunteer)] > 0:
            self.accepts[(seeker, volunteer)] -= 1
        else:
            self.without_accept += 1
        self.introductions[volunteer].append(now)
