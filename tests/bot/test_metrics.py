"""What the core, the job runner and the delivery worker count, read back from the registry
after real work on a SQLite file: commands by action and outcome with their latency, due
jobs with their lag on the injected clock, deliveries by platform and outcome."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import ACTIONS, APOLOGY, HANDLERS
from bot.commands import Actor, Command, CommunityRef
from bot.domain.community import CommunitySettings
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.metrics import Metrics
from bot.outbox import DeliveryWorker, RetryPolicy, enqueue
from bot.services.context import Context
from bot.storage.members import get_or_create_community
from bot.storage.schema import jobs
from bot.views import Destination, Message, Reply
from tests.bot.test_outbox import FlakyTransport
from tests.support import GOOD_REQUEST, VOLUNTEERS, World, button, make_world


@pytest.fixture
async def counted(tmp_path: Path) -> AsyncIterator[tuple[World, Metrics]]:
    """A world on a SQLite file whose core and worker report to a registry of their own."""
    world = await make_world(tmp_path / "metrics.db")
    metrics = Metrics()
    world.app.metrics = metrics
    world.worker.metrics = metrics
    yield world, metrics
    await world.db.dispose()


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def commands(metrics: Metrics, action: str, outcome: str) -> float:
    return value(metrics, "infochat_commands_total", action=action, outcome=outcome)


async def test_a_command_counts_as_ok_with_its_latency(counted: tuple[World, Metrics]) -> None:
    world, metrics = counted
    reply = await world.say("sam", "/infochat help")
    assert reply.ok
    assert commands(metrics, "help", "ok") == 1
    seconds = "infochat_command_duration_seconds"
    assert value(metrics, f"{seconds}_count", action="help") == 1
    assert 0 < value(metrics, f"{seconds}_sum", action="help") < 5


async def test_refusals_count_as_refused(counted: tuple[World, Metrics]) -> None:
    world, metrics = counted
    assert not (await world.say("sam", "/infochat frobnicate")).ok  # doesn't parse
    assert not (await world.act("sam", "no.such.action")).ok  # unknown action
    assert not (await world.act("sam", "request.create", topic="x")).ok  # bad input
    assert not (await world.act("", "help")).ok  # an unreadable member id
    assert commands(metrics, "unknown", "refused") == 2
    assert commands(metrics, "request.create", "refused") == 1
    assert commands(metrics, "help", "refused") == 1
    assert sum(commands(metrics, a, "ok") for a in [*ACTIONS, "unknown"]) == 0


async def test_a_repeated_key_counts_under_its_first_outcome(
    counted: tuple[World, Metrics],
) -> None:
    world, metrics = counted
    for _ in range(2):
        assert (await world.say("sam", "/infochat help", key="same-help")).ok
        assert not (await world.act("sam", "request.create", key="same-bad", topic="x")).ok
    assert commands(metrics, "help", "ok") == 2
    assert commands(metrics, "request.create", "refused") == 2


async def test_a_handler_that_raises_counts_as_an_error(
    counted: tuple[World, Metrics], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, metrics = counted

    async def broken(ctx: Context) -> Reply:
        raise RuntimeError("a bug")

    monkeypatch.setitem(HANDLERS, "help", broken)
    reply = await world.say("sam", "/infochat help")
    assert reply.messages[0].text == APOLOGY
    assert commands(metrics, "help", "error") == 1
    assert commands(metrics, "help", "ok") == 0


async def test_a_whole_flow_counts_each_action_it_used(counted: tuple[World, Metrics]) -> None:
    world, metrics = counted
    for name, profile in VOLUNTEERS.items():
        assert (await world.say(name, f"/infochat volunteer join {profile}")).ok
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok  # a DM to Priya
    assert commands(metrics, "volunteer.join", "ok") == len(VOLUNTEERS)
    assert commands(metrics, "request.create", "ok") == 1
    assert sum(commands(metrics, action, "ok") for action in ACTIONS) == len(VOLUNTEERS) + 2
    sent = value(metrics, "infochat_deliveries_total", platform="console", outcome="sent")
    assert sent == len(world.transport.sent) >= 1


async def test_labels_hold_no_member_names_or_ids(counted: tuple[World, Metrics]) -> None:
    world, metrics = counted
    community = CommunityRef("slack", "T0QUUXTEAM", "Frobozz Guild")
    members = [
        Actor(community, "U0ZEBULON42", "Zebulon Quux"),
        Actor(community, "U0XANTHIPPE7", "Xanthippe Vole", is_moderator=True),
    ]
    for i, actor in enumerate(members):
        await world.app.dispatch_text(actor, "/infochat help", f"k-help-{i}")
        await world.app.dispatch_text(actor, "/infochat Zebulon-Quux", f"k-typo-{i}")
        await world.app.dispatch(Command(actor, "Xanthippe.Vole", f"k-made-up-{i}"))
        await world.app.dispatch_text(
            actor, f"/infochat volunteer join {VOLUNTEERS['bob']}", f"v{i}"
        )
    await world.worker.drain()
    body, content_type = metrics.exposition()
    text = body.decode()
    assert content_type.startswith("text/plain")
    assert 'infochat_commands_total{action="help",outcome="ok"} 2.0' in text
    for word in ("ZEBULON", "Zebulon", "Quux", "XANTHIPPE", "Xanthippe", "Vole", "T0QUUX"):
        assert word not in text
    assert "Frobozz" not in text


async def test_due_jobs_count_with_their_lag_on_the_injected_clock(
    counted: tuple[World, Metrics],
) -> None:
    world, metrics = counted
    runner = world.app.job_runner()
    assert runner.metrics is metrics
    assert (await world.say("sam", "/infochat help")).ok  # the community exists now
    await runner.run_due()  # schedules its first digest and housekeeping
    async with world.db.transaction() as conn:
        waiting = sa.select(jobs.c.kind, jobs.c.due_at).where(jobs.c.status == "pending")
        due = (await conn.execute(waiting)).all()
    assert due
    late = timedelta(minutes=7)
    world.clock.set(max(row.due_at for row in due) + late)  # the bot was down meanwhile
    now = world.clock.now()
    assert await runner.run_due() >= len(due)
    for kind in {row.kind for row in due}:
        lags = [(now - row.due_at).total_seconds() for row in due if row.kind == kind]
        assert value(metrics, "infochat_jobs_run_total", kind=kind) == len(lags)
        assert value(metrics, "infochat_job_lag_seconds_sum", kind=kind) == pytest.approx(sum(lags))
    assert min((now - row.due_at).total_seconds() for row in due) == late.total_seconds()


async def test_jobs_run_on_time_while_the_clock_is_moved_have_no_lag(
    counted: tuple[World, Metrics],
) -> None:
    world, metrics = counted
    assert (await world.say("sam", "/infochat help")).ok
    ran = await world.travel(timedelta(days=8))  # each job runs at its own due time
    assert ran > 0
    kinds = {s.labels["kind"] for family in metrics.jobs.collect() for s in family.samples}
    assert sum(value(metrics, "infochat_jobs_run_total", kind=k) for k in kinds) == ran
    assert sum(value(metrics, "infochat_job_lag_seconds_sum", kind=k) for k in kinds) == 0


async def enqueue_to(world: World, community: CommunityRef, count: int) -> None:
    async with world.db.transaction() as conn:
        now = world.clock.now()
        row = await get_or_create_community(conn, community, CommunitySettings(), now)
        for i in range(count):
            to = Destination(kind="member", user_ids=(f"U{i}",))
            await enqueue(conn, row.id, to, Message(text=f"message {i}"), now)


async def test_deliveries_count_sent_retried_and_given_up_by_platform(
    counted: tuple[World, Metrics],
) -> None:
    world, metrics = counted
    transport = FlakyTransport(
        errors=[DeliveryError("busy"), PermanentDeliveryError("channel gone")]
    )
    worker = DeliveryWorker(world.db, transport, world.clock, metrics=metrics)
    await enqueue_to(world, CommunityRef("discord", "800", "Guild"), 3)
    assert await worker.drain() == 1  # one retried, one given up, one sent
    world.clock.advance(timedelta(minutes=1))
    assert await worker.drain() == 1  # the retried one
    await enqueue_to(world, CommunityRef("slack", "T1", "acme"), 1)
    assert await worker.drain() == 1

    def deliveries(platform: str, outcome: str) -> float:
        return value(metrics, "infochat_deliveries_total", platform=platform, outcome=outcome)

    assert deliveries("discord", "sent") == 2
    assert deliveries("discord", "retried") == 1
    assert deliveries("discord", "given_up") == 1
    assert deliveries("slack", "sent") == 1
    assert deliveries("slack", "retried") == deliveries("slack", "given_up") == 0


async def test_attempts_exhausted_count_as_given_up(counted: tuple[World, Metrics]) -> None:
    world, metrics = counted
    transport = FlakyTransport(errors=[DeliveryError("down"), RuntimeError("odd")])
    policy = RetryPolicy(max_attempts=2)
    worker = DeliveryWorker(world.db, transport, world.clock, policy=policy, metrics=metrics)
    await enqueue_to(world, CommunityRef("slack", "T1", "acme"), 1)
    await worker.drain()
    world.clock.advance(timedelta(hours=1))
    await worker.drain()
    assert transport.sent == []
    labels = {"platform": "slack"}
    assert value(metrics, "infochat_deliveries_total", **labels, outcome="retried") == 1
    assert value(metrics, "infochat_deliveries_total", **labels, outcome="given_up") == 1


async def test_without_a_registry_nothing_is_counted(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "plain.db")
    try:
        assert world.app.metrics is None and world.app.job_runner().metrics is None
        assert world.worker.metrics is None
        assert (await world.say("sam", "/infochat help")).ok
    finally:
        await world.db.dispose()


def test_the_readme_lists_every_metric_as_exposed() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Logs and metrics", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(infochat_[a-z_]+)` \|", section, re.MULTILINE))
    exposed = set()
    for family in Metrics().registry.collect():
        suffix = "_total" if family.type == "counter" else ""
        exposed.add(family.name + suffix)
    assert listed == exposed
