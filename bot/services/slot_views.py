"""How proposed times look (R8): each in both people's own time zones, with a button each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.models import WEEKDAYS
from bot.services import render
from bot.storage.members import Member
from bot.storage.requests import StoredRequest
from bot.views import Button, Line, Message

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class People:
    """The two people of an introduction and their time zones."""

    seeker: Member
    seeker_tz: str
    volunteer: Member
    volunteer_tz: str

    @property
    def user_ids(self) -> tuple[str, str]:
        return self.seeker.user_id, self.volunteer.user_id

    @property
    def member_ids(self) -> tuple[int, int]:
        return self.seeker.id, self.volunteer.id


def when(start: datetime, people: People) -> str:
    """`Tue 3 Feb 18:00 Europe/Berlin (Priya) / 12:00 America/New_York (Sam)`: the
    volunteer's clock first; the date again only where it differs."""
    volunteer, seeker = people.volunteer.display_name, people.seeker.display_name
    zones = [(people.volunteer_tz, volunteer), (people.seeker_tz, seeker)]
    if people.volunteer_tz == people.seeker_tz:
        zones = [(people.volunteer_tz, f"{volunteer}, {seeker}")]
    parts: list[str] = []
    previous = None
    for timezone, names in zones:
        local = start.astimezone(ZoneInfo(timezone))
        day = "" if local.date() == previous else f"{_day(local)} "
        parts.append(f"{day}{local:%H:%M} {timezone} ({names})")
        previous = local.date()
    return " / ".join(parts)


def _day(local: datetime) -> str:
    return f"{WEEKDAYS[local.weekday()].capitalize()} {local.day} {MONTHS[local.month - 1]}"


def proposal_view(
    intro_id: int, request: StoredRequest, people: People, slots: Sequence[datetime]
) -> Message:
    """The introduction with its proposed times; without any, the seeker suggests some."""
    if not slots:
        return render.introduction_message(request, people.seeker, people.volunteer)
    times = tuple(Line(label=f"Slot {i}", value=when(s, people)) for i, s in enumerate(slots, 1))
    buttons = (
        *(
            Button(label=f"Slot {i}", action="intro.pick_slot", target=f"{intro_id}:{i}")
            for i in range(1, len(slots) + 1)
        ),
        Button(label="None of these fit", action="intro.no_slot", target=str(intro_id)),
    )
    return render.introduction_message(
        request, people.seeker, people.volunteer, times, buttons,
        "Here are times that suit you both: either of you can pick one, "
        "or say that none of them fit.",
    )  # fmt: skip


def picked_view(request: StoredRequest, people: People, start: datetime) -> Message:
    """The introduction once a time was picked: the buttons are gone."""
    return render.introduction_message(
        request, people.seeker, people.volunteer,
        (Line(label="Picked time", value=when(start, people)),),
        (), "The time is picked and the calendar invite is on its way.",
    )  # fmt: skip


def none_fit_view(request: StoredRequest, people: People) -> Message:
    seeker, volunteer = people.seeker.display_name, people.volunteer.display_name
    return render.introduction_message(
        request, people.seeker, people.volunteer, (), (),
        f"None of the proposed times fit: {seeker}, please suggest a couple that suit {volunteer}.",
    )  # fmt: skip
