"""The demo community: a moderator and varied volunteers, joined through real commands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from adapters.console.session import ConsoleSession
from bot.commands import parse_text
from bot.errors import InfochatError

DEMO_COMMUNITY = "demo"
MODERATORS = ("mo",)
PAUSED = "omar"


@dataclass(frozen=True)
class DemoVolunteer:
    name: str
    role: str
    org: str
    profile: str  # the rest of `/infochat volunteer join`, as a member would type it

    @property
    def command(self) -> str:
        return f'/infochat volunteer join role="{self.role}" org="{self.org}" {self.profile}'


VOLUNTEERS = (
    DemoVolunteer(
        "priya",
        "Data engineer",
        "Acme",
        'topics="data engineering, python" affiliations="University of Toronto" '
        'timezone=Europe/Berlin languages="English, Hindi" formats="video, phone" capacity=3 '
        'windows="Tue 17:00-19:00; Thu 12-13"',
    ),
    DemoVolunteer(
        "bob",
        "Software engineer",
        "Globex",
        'topics="software engineering, backend" timezone=America/New_York',
    ),
    DemoVolunteer(
        "chen",
        "Data scientist",
        "Initech",
        'topics="data science, machine learning" affiliations="University of Toronto" '
        'timezone=Asia/Singapore languages="English, Mandarin"',
    ),
    DemoVolunteer(
        "amara",
        "UX researcher",
        "Hooli",
        'topics="ux research, product design" affiliations="Le Wagon" timezone=Africa/Lagos '
        'languages="English, Yoruba" minutes=20',
    ),
    DemoVolunteer(
        "lucas",
        "Product manager",
        "Vandelay",
        'topics="product management" timezone=America/Sao_Paulo '
        'languages="Portuguese, English" formats="video, text chat"',
    ),
    DemoVolunteer(
        "sofia",
        "Clinical data analyst",
        "St. Mary's Hospital",
        'topics="healthcare analytics, data analysis" affiliations="Nursing alumni" '
        'timezone=Europe/Madrid languages="Spanish, English" capacity=1',
    ),
    DemoVolunteer(
        "kenji",
        "Site reliability engineer",
        "Umbrella",
        'topics="devops, cloud infrastructure" timezone=Asia/Tokyo capacity=1 minutes=15',
    ),
    DemoVolunteer(
        "fatima",
        "Policy analyst",
        "City of Toronto",
        'topics="public policy" affiliations="University of Toronto" timezone=America/Toronto '
        'formats="in person, video"',
    ),
    DemoVolunteer(
        "grace",
        "Engineering manager",
        "Stark Industries",
        'topics="engineering management, data engineering" timezone=Europe/London capacity=4',
    ),
    DemoVolunteer(
        "omar",
        "Security engineer",
        "Wayne Enterprises",
        'topics="cyber security" timezone=Asia/Dubai',
    ),
)


class DemoError(InfochatError):
    """The demo data didn't load: a bug, since it goes through the same checks as members."""


async def seed(session: ConsoleSession) -> None:
    """Join every demo volunteer and pause one, as real commands through the core."""
    for name in MODERATORS:
        session.notes[name] = ""
    for volunteer in VOLUNTEERS:
        await _run(session, volunteer.name, volunteer.command)
        session.notes[volunteer.name] = f"volunteer: {volunteer.role} at {volunteer.org}"
    until = (session.app.clock.now() + timedelta(days=30)).date().isoformat()
    await _run(session, PAUSED, f"/infochat volunteer pause until={until}")
    session.notes[PAUSED] += f" (paused until {until})"
    await session.worker.drain()


async def _run(session: ConsoleSession, member: str, text: str) -> None:
    parsed = parse_text(text)
    reply = await session.dispatch(member, parsed.action, parsed.target, parsed.args)
    if not reply.ok:
        detail = reply.messages[0].text if reply.messages else "refused"
        raise DemoError(f"demo: {member} couldn't {parsed.action}: {detail}")
