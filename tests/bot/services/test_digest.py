"""Weekly digests (R11): content for a seeded community with its numbers checked by hand,
recognition by name only with consent, local due times across DST, a missed digest running
once, the optional chart, the moderators' preview and volunteers' personal weekly DM."""

from __future__ import annotations

import base64
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.storage.schema import asks, introductions, jobs, members, requests, volunteers
from bot.views import Message
from tests.support import GOOD_REQUEST, World, count, join_all, make_world, text_of

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# The test clock starts on Monday 5 January 2026, 09:00 UTC: the default digest time.
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
MATPLOTLIB = (
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.ticker",
)


def at(month: int, day: int, hour: int = 12) -> datetime:
    year = 2025 if month == 12 else 2026
    return datetime(year, month, day, hour, tzinfo=UTC)


async def member_ids(world: World) -> dict[str, int]:
    async with world.db.transaction() as conn:
        rows = await conn.execute(sa.select(members.c.id, members.c.user_id))
        return {r.user_id: r.id for r in rows}


async def chat(world: World, giver: str, receiver: str, completed: datetime | None) -> None:
    """A chat between two existing members: completed at `completed`, or only introduced."""
    ids = await member_ids(world)
    when = completed or world.clock.now()
    status = "completed" if completed else "introduced"
    async with world.db.transaction() as conn:
        request_id = (
            await conn.execute(
                sa.insert(requests)
                .values(
                    community_id=1,
                    seeker_id=ids[receiver],
                    status=status,
                    topic="data engineering",
                    why="Seeded for the digest test.",
                    questions=["What is a typical week like?"],
                    minutes=15,
                    format="video",
                    time_frame_days=14,
                    affiliations=[],
                    warnings=[],
                    created_at=when - 10 * DAY,
                    submitted_at=when - 10 * DAY,
                )
                .returning(requests.c.id)
            )
        ).scalar_one()
        ask_id = (
            await conn.execute(
                sa.insert(asks)
                .values(
                    request_id=request_id,
                    volunteer_id=ids[giver],
                    status="accepted",
                    reasons=[],
                    created_at=when - 3 * DAY,
                    asked_at=when - 3 * DAY,
                    decided_at=when - 2 * DAY,
                )
                .returning(asks.c.id)
            )
        ).scalar_one()
        await conn.execute(
            sa.insert(introductions).values(
                community_id=1,
                request_id=request_id,
                ask_id=ask_id,
                seeker_id=ids[receiver],
                volunteer_id=ids[giver],
                minutes=15,
                status=status,
                created_at=when - 2 * DAY,
                seeker_confirmed=completed is not None,
                volunteer_confirmed=completed is not None,
                completed_at=completed,
            )
        )


async def set_member(world: World, user: str, **values: object) -> None:
    async with world.db.transaction() as conn:
        await conn.execute(sa.update(members).where(members.c.user_id == user).values(**values))


async def seed(world: World) -> None:
    """The community of the hand-checked digest, at Monday 5 January 2026, 09:00 UTC.

    Volunteers: Priya (joined in December), Bob and Chen (joined now; Chen paused).
    Completed chats, with who opted into public recognition (*):
      Dec 20 Priya* → Sam*      (before the week)
      Jan  7 Sam*   → Ana       (Sam paid it forward)
      Jan  8 Bob    → Eve
      Jan  9 Ana    → Eve       (Ana paid it forward: Priya → Sam → Ana → Eve, 4 people)
      Jan 10 Chen   → Sam
      Jan 11 Priya* → Ana
      and Bob → Ana introduced on Jan 3 but not completed.
    Open requests: Zoe and Yan (data engineering), Xia (ML, i.e. "machine learning").
    """
    await join_all(world)
    for user in ("sam", "ana", "eve"):
        assert (await world.say(user, "/infochat help")).ok
    for user in ("zoe", "yan"):
        assert (await world.say(user, GOOD_REQUEST)).ok
    ml = GOOD_REQUEST.replace('topic="data engineering"', 'topic="ML"')
    assert (await world.say("xia", ml)).ok
    assert await count(world, "requests", status="open") == 3
    assert (await world.say("chen", "/infochat volunteer pause until=2026-02-01")).ok
    await set_member(world, "priya", public_recognition=True)
    await set_member(world, "sam", public_recognition=True)
    ids = await member_ids(world)
    async with world.db.transaction() as conn:
        await conn.execute(
            sa.update(volunteers)
            .where(volunteers.c.member_id == ids["priya"])
            .values(joined_at=at(12, 1))
        )
    await chat(world, "priya", "sam", at(12, 20))
    await chat(world, "sam", "ana", at(1, 7))
    await chat(world, "bob", "eve", at(1, 8))
    await chat(world, "ana", "eve", at(1, 9))
    await chat(world, "chen", "sam", at(1, 10))
    await chat(world, "priya", "ana", at(1, 11))
    await chat(world, "bob", "ana", None)  # introduced on Jan 3: counts against Bob's January
    await world.travel(timedelta(0))  # the runner gives the community its first digest job


EXPECTED = {
    "Chats completed": "5",
    "New volunteers": "2",
    "Thank you to": "Priya, Sam and 3 more who prefer to stay unnamed",
    "Paid it forward (helped, then helped someone)": "Sam and 1 more who prefers to stay unnamed",
    "Longest help chain": "3 chats: 4 people, each helped by the one before",
    "Requests waiting": "data engineering (2), machine learning (1)",
    # Priya: 2 a month, 1 used (Jan 9); Bob: 2 used (Jan 6, Jan 8); Chen: paused.
    "Capacity left this month": "1 chat with 1 volunteer",
}


def lines(message: Message) -> dict[str, str]:
    return {line.label: line.value for line in message.lines}


def mentions(message: Message, name: str) -> bool:
    return re.search(rf"\b{name}\b", text_of(message)) is not None


async def test_the_weekly_digest_of_a_seeded_community(world: World) -> None:
    await seed(world)
    await world.travel(START + WEEK - world.clock.now())  # Monday 12 January, 09:00 UTC
    (digest,) = world.channel("digest")
    assert digest.title == "This week in Test community"
    assert digest.text.startswith("5 chats completed this week (5 Jan – 11 Jan).")
    assert lines(digest) == EXPECTED
    # Nobody who didn't opt in is named; seekers never are.
    for name in ("Bob", "Chen", "Ana", "Eve", "Zoe", "Yan", "Xia"):
        assert not mentions(digest, name), name
    assert mentions(digest, "Priya") and mentions(digest, "Sam")


async def test_opting_out_of_recognition_removes_a_name_and_opting_in_adds_one(
    world: World,
) -> None:
    await seed(world)
    await set_member(world, "priya", public_recognition=False)
    await set_member(world, "bob", public_recognition=True)
    await world.travel(START + WEEK - world.clock.now())
    (digest,) = world.channel("digest")
    assert not mentions(digest, "Priya")
    assert lines(digest)["Thank you to"] == "Bob, Sam and 3 more who prefer to stay unnamed"


async def test_moderators_preview_privately_others_are_refused(world: World) -> None:
    await seed(world)
    world.moderators.add("mo")
    refused = await world.say("sam", "/infochat mod digest")
    assert not refused.ok and "Only moderators" in refused.messages[0].text
    world.clock.set(START + WEEK - timedelta(hours=1))  # an hour before it goes out
    outbox_before = await count(world, "outbox")
    preview = await world.say("mo", "/infochat mod digest")
    assert preview.ok
    note, digest = preview.messages
    assert "nothing was posted" in note.text
    assert "Monday 12 January, 09:00 (UTC)" in note.text
    assert lines(digest) == EXPECTED
    assert world.channel("digest") == []
    assert await count(world, "outbox") == outbox_before


async def digest_jobs(world: World) -> list[tuple[str, str, datetime]]:
    async with world.db.transaction() as conn:
        rows = (
            await conn.execute(
                sa.select(jobs.c.period, jobs.c.status, jobs.c.due_at)
                .where(jobs.c.kind == "digest.weekly")
                .order_by(jobs.c.id)
            )
        ).all()
    return [(r.period, r.status, r.due_at) for r in rows]


async def test_after_downtime_only_the_latest_missed_week_gets_a_digest(world: World) -> None:
    for user in ("sam", "ana"):
        assert (await world.say(user, "/infochat help")).ok
    await world.travel(timedelta(0))
    await chat(world, "ana", "sam", START + 5 * WEEK + DAY)  # Tuesday 10 February
    # The bot is down from Monday 5 January to Monday 16 February, 14:00: six digest times
    # (12 Jan … 16 Feb) pass. Then it catches up on the real clock.
    world.clock.advance(6 * WEEK + timedelta(hours=5))
    await world.app.job_runner().run_due()
    await world.worker.drain()
    (digest,) = world.channel("digest")
    assert "(9 Feb – 15 Feb)" in digest.text
    assert lines(digest)["Chats completed"] == "1"
    assert await digest_jobs(world) == [
        ("2026-W03", "done", START + WEEK),  # stale: handed over, posted nothing
        ("2026-W08", "done", START + 6 * WEEK),
        ("2026-W09", "pending", START + 7 * WEEK),
    ]
    await world.travel(6 * DAY)
    assert len(world.channel("digest")) == 1
    await world.travel(DAY)
    assert len(world.channel("digest")) == 2
    assert "(16 Feb – 22 Feb)" in world.channel("digest")[1].text


async def test_a_digest_a_few_hours_late_still_reports_its_own_week(world: World) -> None:
    assert (await world.say("sam", "/infochat help")).ok
    await world.travel(timedelta(0))
    world.clock.advance(WEEK + timedelta(hours=5))  # down over Monday 12 January, 09:00
    await world.app.job_runner().run_due()
    await world.worker.drain()
    (digest,) = world.channel("digest")
    assert "(5 Jan – 11 Jan)" in digest.text
    assert [(p, s) for p, s, _ in await digest_jobs(world)] == [
        ("2026-W03", "done"),
        ("2026-W04", "pending"),
    ]


async def test_time_passing_posts_every_weekly_digest_in_order_with_consecutive_weeks(
    world: World,
) -> None:
    assert (await world.say("sam", "/infochat help")).ok
    await world.travel(15 * DAY)  # from Monday 5 January: digests on 12 and 19 January
    first, second = world.channel("digest")
    assert "(5 Jan – 11 Jan)" in first.text
    assert "(12 Jan – 18 Jan)" in second.text


async def test_digest_time_is_local_across_daylight_saving(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "berlin.db", timezone="Europe/Berlin")
    try:
        world.clock.set(datetime(2026, 3, 20, 12, tzinfo=UTC))
        assert (await world.say("sam", "/infochat help")).ok
        await world.travel(timedelta(0))

        async def pending() -> tuple[str, datetime]:
            async with world.db.transaction() as conn:
                row = (
                    await conn.execute(
                        sa.select(jobs.c.period, jobs.c.due_at).where(
                            jobs.c.kind == "digest.weekly", jobs.c.status == "pending"
                        )
                    )
                ).one()
            return row.period, row.due_at

        # Monday 09:00 in Berlin: 08:00 UTC before the switch (29 March), 07:00 after.
        assert await pending() == ("2026-W13", datetime(2026, 3, 23, 8, tzinfo=UTC))
        await world.travel(datetime(2026, 3, 23, 8, tzinfo=UTC) - world.clock.now())
        assert len(world.channel("digest")) == 1
        assert await pending() == ("2026-W14", datetime(2026, 3, 30, 7, tzinfo=UTC))
        # A settings change applies from the next scheduling: the pending one keeps its time.
        world.moderators.add("mo")
        assert (await world.say("mo", "/infochat mod settings digest_hour=17")).ok
        await world.travel(datetime(2026, 3, 30, 7, tzinfo=UTC) - world.clock.now())
        assert len(world.channel("digest")) == 2
        assert await pending() == ("2026-W15", datetime(2026, 4, 6, 15, tzinfo=UTC))
    finally:
        await world.db.dispose()


async def test_the_digest_carries_a_png_chart_when_matplotlib_is_installed(
    world: World,
) -> None:
    pytest.importorskip("matplotlib")
    await seed(world)
    await world.travel(START + WEEK - world.clock.now())
    (chart,) = world.channel("digest")[0].attachments
    assert chart.filename == "digest-2026-W03.png"
    assert chart.content_type == "image/png"
    assert base64.b64decode(chart.data).startswith(b"\x89PNG\r\n\x1a\n")


async def test_without_matplotlib_the_digest_goes_out_without_a_chart(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in MATPLOTLIB:
        monkeypatch.setitem(sys.modules, name, None)  # `import` now raises ImportError
    await seed(world)
    await world.travel(START + WEEK - world.clock.now())
    (digest,) = world.channel("digest")
    assert digest.attachments == ()
    assert lines(digest) == EXPECTED


async def test_personal_weekly_dm_only_to_opted_in_volunteers_with_matching_requests(
    world: World,
) -> None:
    await seed(world)
    # Priya (data engineering, python) and Bob (software engineering) opt in; Chen opts in
    # but is paused; Sam is no volunteer, so the field isn't his to set.
    for user in ("priya", "bob", "chen"):
        reply = await world.say(user, "/infochat volunteer edit weekly_digest=yes")
        assert reply.ok and "Each week" in reply.messages[-1].text
    assert not (await world.say("priya", "/infochat volunteer edit weekly_digest=maybe")).ok
    assert not (await world.say("sam", "/infochat volunteer edit weekly_digest=yes")).ok
    before = {user: len(world.inbox(user)) for user in ("priya", "bob", "chen")}
    await world.travel(START + WEEK - world.clock.now())
    (dm,) = world.inbox("priya")[before["priya"] :]
    assert dm.title == "Open requests that match your topics"
    assert dm.text.startswith("2 open requests match the topics you offer.")
    assert [(line.label, line.value) for line in dm.lines] == [
        ("data engineering", "15 minutes, video, waiting 7 days"),
        ("data engineering", "15 minutes, video, waiting 7 days"),
    ]
    for seeker in ("Zoe", "Yan", "Xia"):
        assert not mentions(dm, seeker)
    assert world.inbox("bob")[before["bob"] :] == []  # nothing matches software engineering
    assert world.inbox("chen")[before["chen"] :] == []  # paused
    assert await count(world, "jobs", kind="digest.personal") == 3

    # Opting out stops the next one.
    assert (await world.say("priya", "/infochat volunteer edit weekly_digest=no")).ok
    again = len(world.inbox("priya"))
    await world.travel(WEEK)
    assert len(world.channel("digest")) == 2
    assert world.inbox("priya")[again:] == []
