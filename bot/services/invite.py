"""The calendar invite for a picked time (R8): one RFC 5545 VEVENT, made with icalendar.

No e-mail addresses are known, so there is no ORGANIZER or ATTENDEE: both names are in the
summary and the description as plain text.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from bot.views import Attachment

PRODID = "-//infochat//informational chats//EN"


def uid(intro_id: int) -> str:
    """Stable per introduction, so a calendar updates the event rather than adding another."""
    return f"intro-{intro_id}@infochat"


def calendar_invite(
    intro_id: int,
    start: datetime,
    minutes: int,
    *,
    seeker: str,
    volunteer: str,
    topic: str,
    chat_format: str,
    questions: Sequence[str],
    now: datetime,
    reach: str = "",
) -> Attachment:
    """`reach`: for an introduction across places, how to reach the other person (for the
    one this copy of the invite is for), added to the description."""
    event = Event()
    event.add("uid", uid(intro_id))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", (start + timedelta(minutes=minutes)).astimezone(UTC))
    event.add("summary", f"Informational chat: {seeker} and {volunteer} about {topic}")
    event.add(
        "description",
        f"A {minutes}-minute {chat_format} chat between {seeker} (asking) and {volunteer} "
        f"(sharing their experience), arranged by infochat.\n\nQuestions:\n"
        + "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))
        + (f"\n\n{reach}" if reach else ""),
    )
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return Attachment(
        filename=f"infochat-{intro_id}.ics",
        content_type="text/calendar",
        data=base64.b64encode(calendar.to_ical()).decode("ascii"),
    )
