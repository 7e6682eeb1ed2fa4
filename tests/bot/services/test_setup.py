"""`/infochat mod setup` and the checklist the bot sends once when it first meets a community:
settings with the command that changes each in the platform's syntax, the platform's checks
from its probe (made before the write transaction), and exactly one first-meeting message."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor, CommunityRef
from bot.domain.community import CommunitySettings
from bot.outbox import DeliveryWorker
from bot.services import setup
from bot.setup_checks import Check
from bot.storage.database import Database, sqlite_url
from bot.storage.schema import jobs
from bot.views import Destination, Message, Reply
from tests.support import RecordingTransport, make_world, text_of

_keys = itertools.count(1)
SLACK = CommunityRef("slack", "T1", "Acme")
DISCORD = CommunityRef("discord", "42", "Guild")
CONSOLE = CommunityRef("console", "demo", "Demo")


@dataclass
class FakeProbe:
    checks: list[Check] = field(default_factory=list)
    calls: list[tuple[CommunityRef, CommunitySettings]] = field(default_factory=list)
    error: Exception | None = None
    hold: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def check(self, community: CommunityRef, settings: CommunitySettings) -> list[Check]:
        self.calls.append((community, settings))
        self.started.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.error is not None:
            raise self.error
        return list(self.checks)


@dataclass
class Bot:
    db: Database
    clock: FakeClock
    app: Infochat
    transport: RecordingTransport
    worker: DeliveryWorker

    async def do(
        self, ref: CommunityRef, user: str, text: str, *, moderator: bool = False
    ) -> Reply:
        actor = Actor(ref, user, user.capitalize(), is_moderator=moderator)
        reply = await self.app.dispatch_text(actor, text, f"k{next(_keys)}")
        await self.worker.drain()
        return reply

    async def jobs(self) -> None:
        await self.app.job_runner().run_due()
        await self.worker.drain()

    def to_admins(self) -> list[tuple[Destination, Message]]:
        return [(d, m) for d, m, _ in self.transport.sent if d.kind == "admins"]


async def make_bot(where: str, probes: dict[str, FakeProbe], **settings: object) -> Bot:
    db = Database(where)
    await db.migrate()
    clock = FakeClock()
    transport = RecordingTransport()
    app = Infochat(db, clock, CommunitySettings.model_validate(settings), probes=probes)
    return Bot(db, clock, app, transport, DeliveryWorker(db, transport, clock))


@pytest.fixture
def probe() -> FakeProbe:
    return FakeProbe(
        [Check(True, "#moderators exists and the bot is in it"), Check(False, "#digest", "invite")]
    )


@pytest.fixture
async def bot(database_url: str, probe: FakeProbe) -> AsyncIterator[Bot]:
    made = await make_bot(database_url, {"slack": probe, "discord": probe})
    yield made
    await made.db.dispose()


def full_text(reply: Reply) -> str:
    return "\n".join(text_of(m) for m in reply.messages)


async def test_the_checklist_in_slack_syntax_says_plainly_that_approval_is_off(bot: Bot) -> None:
    reply = await bot.do(SLACK, "mo", "/infochat mod setup", moderator=True)
    assert reply.ok, reply.messages
    settings, checks = reply.messages
    assert settings.text.startswith(
        "Moderators approve every introduction before anyone is asked: off"
    )
    assert "Turn it on with `/infochat mod settings approval_required=true`" in settings.text
    shown = {line.label: line.value for line in settings.lines}
    assert shown["Moderators' channel"].startswith("#moderators")
    assert "`/infochat mod settings moderators_channel=NAME`" in shown["Moderators' channel"]
    assert "#introductions" in shown["Introductions channel"]
    assert "#digest" in shown["Digest channel"]
    assert shown["Weekly digest"].startswith("Monday 09:00 (UTC)")
    assert "digest_hour=0-23" in shown["Weekly digest"]
    assert shown["max_open_requests = 3"].startswith("open requests a member may have")
    assert "`/infochat mod settings max_open_requests=3`" in shown["max_open_requests = 3"]
    every = set(CommunitySettings.model_fields) - setup.SHOWN_APART
    limits = {label.split(" = ")[0]: value for label, value in shown.items() if " = " in label}
    assert set(limits) == every  # every limit, with the command that changes it
    assert all(f"`/infochat mod settings {name}=" in limits[name] for name in every)
    assert checks.title == "On Slack"
    assert checks.text.splitlines() == [
        "✔ #moderators exists and the bot is in it",
        "✘ #digest — invite",
    ]
    assert "fields:" not in full_text(reply)


async def test_the_checklist_in_discord_syntax_says_approval_is_on(
    database_url: str, probe: FakeProbe
) -> None:
    bot = await make_bot(database_url, {"discord": probe}, approval_required=True)
    try:
        reply = await bot.do(DISCORD, "7", "/infochat mod setup", moderator=True)
    finally:
        await bot.db.dispose()
    assert reply.ok, reply.messages
    settings = reply.messages[0]
    assert settings.text.startswith(
        "Moderators approve every introduction before anyone is asked: on. Turn it off with "
        "`/infochat-mod settings fields:approval_required=false`."
    )
    lines = "\n".join(f"{line.label} {line.value}" for line in settings.lines)
    assert "/infochat-mod settings fields:digest_channel=NAME" in lines
    assert "/infochat mod " not in lines
    assert reply.messages[1].title == "On Discord"
    assert probe.calls == [(DISCORD, CommunitySettings(approval_required=True))]


async def test_changing_approval_shows_in_the_next_checklist(bot: Bot) -> None:
    await bot.do(SLACK, "mo", "/infochat mod settings approval_required=true", moderator=True)
    reply = await bot.do(SLACK, "mo", "/infochat mod setup", moderator=True)
    assert ": on. Turn it off with `/infochat mod settings approval_required=false`" in (
        reply.messages[0].text
    )
    assert bot.to_admins() == []  # the first-meeting message waits for its job


async def test_a_member_who_is_not_a_moderator_is_refused_and_nothing_is_probed(
    bot: Bot, probe: FakeProbe
) -> None:
    reply = await bot.do(SLACK, "sam", "/infochat mod setup")
    assert not reply.ok
    assert reply.messages[0].text == "Only moderators can do that."
    assert probe.calls == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("/infochat mod setup now", "I didn't understand “now”."),
        (
            "/infochat mod setup verbose=yes",
            "I don't know the field “verbose”. This takes no fields.",
        ),
        ("/infochat mod setupp", "I don't know the command “mod setupp”."),
    ],
)
async def test_extra_words_get_the_usual_clear_refusal(bot: Bot, text: str, says: str) -> None:
    reply = await bot.do(SLACK, "mo", text, moderator=True)
    assert not reply.ok
    assert reply.messages[0].text.startswith(says)
    assert len(reply.messages) == 1  # no checklist


async def test_a_failing_probe_is_one_cross_line_not_an_apology(bot: Bot, probe: FakeProbe) -> None:
    probe.error = ConnectionError("slack.com unreachable")
    reply = await bot.do(SLACK, "mo", "/infochat mod setup", moderator=True)
    assert reply.ok, reply.messages
    assert reply.messages[1].text.splitlines() == [
        "✘ couldn't check Slack — Slack answered with an error (ConnectionError); try again later"
    ]
    assert "unreachable" not in full_text(reply)


async def test_a_probe_that_hangs_is_one_cross_line(
    bot: Bot, probe: FakeProbe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(setup, "PROBE_TIMEOUT", 0.05)
    probe.hold = asyncio.Event()  # never set
    reply = await bot.do(SLACK, "mo", "/infochat mod setup", moderator=True)
    assert reply.ok, reply.messages
    (line,) = reply.messages[1].text.splitlines()
    assert line.startswith("✘ couldn't check Slack — it didn't answer in time")


async def test_no_probe_for_the_platform_says_there_is_nothing_to_check(bot: Bot) -> None:
    reply = await bot.do(CONSOLE, "mo", "/infochat mod setup", moderator=True)
    assert reply.ok, reply.messages
    assert reply.messages[1].text == (
        "Nothing to check on the console's side: it has no platform setup."
    )


async def test_the_probe_runs_outside_the_write_transaction(bot: Bot, probe: FakeProbe) -> None:
    await bot.do(SLACK, "sam", "/infochat help")  # the community exists
    probe.hold = asyncio.Event()
    checking = asyncio.create_task(bot.do(SLACK, "mo", "/infochat mod setup", moderator=True))
    await asyncio.wait_for(probe.started.wait(), 30)
    # The platform is slow to answer: another member's command (a write) goes through.
    other = await asyncio.wait_for(bot.do(SLACK, "sam", "/infochat me recognition=on"), 30)
    assert other.ok, other.messages
    assert not checking.done()
    probe.hold.set()
    reply = await checking
    assert reply.ok and reply.messages[1].title == "On Slack"


async def test_first_meeting_sends_the_checklist_to_admins_once(bot: Bot, probe: FakeProbe) -> None:
    await bot.do(SLACK, "sam", "/infochat help")
    await bot.do(SLACK, "ana", "/infochat help")
    await bot.jobs()
    sent = bot.to_admins()
    assert len(sent) == 2
    (destination, settings), (_, checks) = sent
    assert destination == Destination(kind="admins", channel="moderators")
    assert settings.text.startswith("Hello! infochat is now part of this community.")
    assert "`/infochat mod setup`" in settings.text
    assert "before anyone is asked: off" in settings.text
    assert checks.title == "On Slack" and "✘ #digest — invite" in checks.text
    assert probe.calls == [(SLACK, CommunitySettings())]  # probed before the job's transaction
    bot.clock.advance(timedelta(days=8))
    await bot.jobs()
    assert len(bot.to_admins()) == 2


async def test_a_refused_first_command_still_meets_the_community(bot: Bot) -> None:
    reply = await bot.do(DISCORD, "7", "/infochat mod queue")  # not a moderator
    assert not reply.ok
    await bot.jobs()
    (_, settings), _ = bot.to_admins()
    assert "`/infochat-mod setup`" in settings.text


async def test_two_concurrent_first_commands_meet_the_community_once(
    database_url: str, probe: FakeProbe
) -> None:
    first = await make_bot(database_url, {"slack": probe})
    second = await make_bot(database_url, {"slack": probe})  # another process, same database
    try:
        replies = await asyncio.gather(
            first.do(SLACK, "sam", "/infochat help"), second.do(SLACK, "ana", "/infochat help")
        )
        assert all(r.ok for r in replies)
        await asyncio.gather(first.jobs(), second.jobs())
        assert len(first.to_admins()) + len(second.to_admins()) == 2  # one checklist
        async with first.db.transaction() as conn:
            found = await conn.execute(sa.select(jobs.c.id).where(jobs.c.kind == setup.KIND))
            assert len(found.all()) == 1
    finally:
        await first.db.dispose()
        await second.db.dispose()


async def test_a_restart_does_not_meet_the_community_again(
    tmp_path: Path, probe: FakeProbe
) -> None:
    where = sqlite_url(tmp_path / "bot.db")
    before = await make_bot(where, {"slack": probe})
    await before.do(SLACK, "sam", "/infochat help")
    await before.jobs()
    assert len(before.to_admins()) == 2
    await before.db.dispose()
    after = await make_bot(where, {"slack": probe})  # the process restarted
    try:
        await after.do(SLACK, "ana", "/infochat help")
        await after.jobs()
        assert after.to_admins() == []
    finally:
        await after.db.dispose()


async def test_communities_from_before_are_not_met(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "old.db")
    try:
        await world.say("sam", "/infochat help")
        async with world.db.transaction() as conn:  # as if created before this existed
            await conn.execute(sa.delete(jobs).where(jobs.c.kind == setup.KIND))
        await world.travel(timedelta(days=2))
        assert [d for d, _, _ in world.transport.sent if d.kind == "admins"] == []
    finally:
        await world.db.dispose()
