"""Hand-made plans for the simulator's tests: a tiny one, and a generated one of any size
(for timing), independent of the scenario's own population."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.simulate.plan import Answers, Pause, Plan, RequestPlan, VolunteerPlan

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TOPICS = (
    "data engineering", "software engineering", "data science", "product management",
    "ux design", "marketing", "finance", "devops", "sales", "law", "teaching", "healthcare",
    "security", "recruiting", "policy", "research", "nonprofit", "accounting", "growth",
    "customer success",
)  # fmt: skip
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Singapore", "Europe/London", "UTC")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WHY = (
    "I am a backend developer moving toward {topic} and want to hear how the work differs "
    "day to day from what I do now"
)
QUESTIONS = (
    "What does a typical week look like in your role?|"
    "Which skills mattered most when you moved into {topic}?"
)
VAGUE = {"topic": "{topic}", "why": "curious", "questions": "jobs?"}
TYPICAL = Answers(accept=0.55, not_now=0.15, decline=0.10, silent=0.20, delay=timedelta(hours=10))


def volunteer(
    user: str,
    topics: str,
    *,
    capacity: int = 2,
    at: datetime = START,
    answers: Answers = TYPICAL,
    pauses: tuple[Pause, ...] = (),
    windows: str = "Mon 18-20; Wed 12-14; Sat 10-12",
    zone: str = "Europe/Berlin",
) -> VolunteerPlan:
    join = {
        "role": "Engineer",
        "organisation": f"Org {user}",
        "topics": topics,
        "timezone": zone,
        "monthly_capacity": str(capacity),
        "windows": windows,
        "formats": "video, phone",
    }
    return VolunteerPlan(user, user.capitalize(), join, at, answers, pauses)


def request(
    seeker: str, topic: str, at: datetime, *, vague: bool = False, **flags: bool
) -> RequestPlan:
    fields = {
        "topic": topic,
        "why": WHY.format(topic=topic),
        "questions": QUESTIONS.format(topic=topic),
        "timezone": "Europe/London",
        "windows": "Mon 17-21; Wed 11-15; Sat 9-13",
    }
    vague_fields = {k: v.format(topic=topic) for k, v in VAGUE.items()} if vague else None
    return RequestPlan(
        at, seeker, seeker.capitalize(), fields, vague_fields, timedelta(hours=5), **flags
    )


def tiny(seed: int = 1) -> Plan:
    """Four volunteers (one paused for a while, one who never answers), eight requests over
    three weeks, run a few weeks more."""
    day = timedelta(days=1)
    volunteers = (
        volunteer("ana", "data engineering, python", capacity=1),
        volunteer("ben", "data engineering", capacity=2, pauses=(Pause(START + 4 * day, 10),)),
        volunteer(
            "cy", "data science", answers=Answers(1.0, 0, 0, 0, timedelta(hours=3)), capacity=3
        ),
        volunteer("dee", "data engineering", answers=Answers(0, 0, 0, 1.0, timedelta(hours=1))),
        volunteer("eve", "ux design", at=START + 6 * day, capacity=2, zone="America/New_York"),
    )
    requests = (
        request("sam", "data engineering", START + timedelta(hours=2)),
        request("tia", "data science", START + 1 * day, vague=True),
        request("uma", "data engineering", START + 2 * day, confirms=False),
        request("vic", "ux design", START + 7 * day, thanks=False),
        request("wes", "data engineering", START + 9 * day, picks_slot=False),
        request("xan", "data science", START + 12 * day),
        request("yan", "law", START + 14 * day),
        request("zed", "ux design", START + 18 * day),
    )
    return Plan(seed, START, START + 21 * day, {}, volunteers, requests, 40, TOPICS)


def generated(
    seed: int = 7,
    *,
    months: int = 1,
    members: int = 500,
    volunteers: int = 30,
    per_month: int = 25,
) -> Plan:
    """A community of any size, drawn simply: volunteers with two or three topics, windows
    and zones; seekers whose requests arrive evenly over the months, 10 % vague at first."""
    rng = random.Random(seed)
    end = START + timedelta(days=30 * months)
    pool = tuple(
        VolunteerPlan(
            f"v{i}",
            f"Volunteer {i}",
            {
                "role": rng.choice(("Engineer", "Manager", "Analyst", "Designer", "Lead")),
                "organisation": f"Org {i % 97}",
                "topics": ", ".join(rng.sample(TOPICS, rng.randint(2, 3))),
                "timezone": rng.choice(ZONES),
                "monthly_capacity": str(rng.randint(1, 4)),
                "windows": _windows(rng),
                "formats": "video, phone",
            },
            START + timedelta(days=rng.choice((0, 0, 0, rng.randint(0, 30 * months)))),
            _answers(rng),
            _pauses(rng, end),
        )
        for i in range(volunteers)
    )
    total = per_month * months
    requests = []
    for n in range(total):
        at = START + (end - START) * (n + rng.random()) / total
        seeker = f"m{rng.randrange(members)}"
        topic = rng.choice(TOPICS[:12]) if rng.random() < 0.8 else rng.choice(TOPICS)
        made = request(seeker, topic, at, vague=rng.random() < 0.1)
        requests.append(
            RequestPlan(
                made.at, made.seeker, made.seeker_name,
                made.fields | {"timezone": rng.choice(ZONES), "windows": _windows(rng)},
                made.vague, timedelta(hours=rng.randint(1, 48)),
                picks_slot=rng.random() < 0.8, confirms=rng.random() < 0.7,
                thanks=rng.random() < 0.6,
            )
        )  # fmt: skip
    requests.sort(key=lambda r: r.at)
    return Plan(seed, START, end, {}, pool, tuple(requests), members, TOPICS)


def _windows(rng: random.Random) -> str:
    windows = []
    for day in rng.sample(DAYS, rng.randint(2, 4)):
        start = rng.randint(8, 19)
        windows.append(f"{day} {start}-{start + rng.randint(1, 3)}")
    return "; ".join(windows)


def _answers(rng: random.Random) -> Answers:
    if rng.random() < 0.1:
        return Answers(0, 0, 0, 1.0, timedelta(hours=1))
    accept = rng.uniform(0.4, 0.8)
    not_now, decline = rng.uniform(0, 0.15), rng.uniform(0, 0.1)
    return Answers(
        accept, not_now, decline, 1 - accept - not_now - decline,
        timedelta(hours=rng.uniform(1, 72)),
    )  # fmt: skip


def _pauses(rng: random.Random, end: datetime) -> tuple[Pause, ...]:
    if rng.random() > 0.15:
        return ()
    start = START + (end - START) * rng.random()
    return (Pause(start, rng.randint(7, 28)),)
