"""`/infochat mod health` through the core: the text a moderator reads, the chart sent to
their DMs, the periods, refusals, and the measures made in the read snapshot."""

from __future__ import annotations

import base64
import io
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.health import WeeklyFunnel, parse_period, week_starts
from bot.domain.measures import AskOutcomes, RequestFacts
from bot.domain.models import RequestStatus
from bot.errors import InvalidInput
from bot.services import health
from tests.support import GOOD_REQUEST, World, button, count, join_all

DAY = timedelta(days=1)
UX_REQUEST = (
    '/infochat request topic="ux research" why="I am a graphic designer moving toward product '
    'research and want to hear how studies get planned" q="How do you recruit people for '
    'studies?" q="Which methods do you use most often?"'
)
MATPLOTLIB = (
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.ticker",
)


async def history(world: World) -> None:
    """Priya gives sam a chat (confirmed), bob is never asked, and ana's request about UX
    research closes with nobody to ask; then an hour passes."""
    world.moderators.add("mo")
    await join_all(world, ("priya", "bob"))
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    assert (await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))).ok
    await world.travel(3 * DAY)
    asked = [m for m in world.inbox("sam") if (m.title or "").startswith("Did your chat")][-1]
    assert (await world.press("sam", button(asked, "Yes"))).ok
    assert (await world.say("ana", UX_REQUEST)).ok
    await world.travel(timedelta(hours=1))


def charts(world: World, user: str) -> list[Any]:
    return [a for m in world.inbox(user) for a in m.attachments]


async def test_a_moderator_reads_what_needs_attention_and_the_figures(world: World) -> None:
    await history(world)
    reply = await world.say("mo", "/infochat mod health")
    assert reply.ok
    (message,) = reply.messages
    assert message.title is not None
    assert message.title.startswith("Program health: the last 4 weeks in Test community")
    lines = message.text.splitlines()
    assert lines[0] == "Needs attention first:"
    assert (
        "• 1 request about ux research closed with nobody to ask: "
        "recruit volunteers for ux research." in lines
    )
    assert (
        "Requests: 2 sent → 1 asked → 1 accepted → 1 introduced → 1 chatted → 0 thanked." in lines
    )
    assert "Volunteers: 2, 0.5 chats each, load Gini 0.50, 0 at capacity, 1 never asked." in lines
    assert "Priya" not in message.text and "Sam" not in message.text  # nobody is named


async def test_the_chart_goes_to_the_moderator_as_a_png(world: World) -> None:
    pytest.importorskip("matplotlib")
    await history(world)
    reply = await world.say("mo", "/infochat mod health period=12w")
    assert "The chart (weekly funnel, volunteers' load) is in your direct messages." in (
        reply.messages[0].text
    )
    (chart,) = charts(world, "mo")
    assert chart.filename == "health-12w-20260108-1000.png"
    assert chart.content_type == "image/png"
    png = base64.b64decode(chart.data)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    from matplotlib.image import imread

    assert imread(io.BytesIO(png)).shape[:2] == (640, 800)
    assert charts(world, "sam") == [] and charts(world, "priya") == []


async def test_without_matplotlib_the_report_says_nothing_broke(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in MATPLOTLIB:
        monkeypatch.setitem(sys.modules, name, None)  # `import` now raises ImportError
    await history(world)
    reply = await world.say("mo", "/infochat mod health")
    assert reply.ok
    assert "Nothing is wrong; the figures above are complete." in reply.messages[0].text
    assert charts(world, "mo") == []


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("/infochat mod health", "the last 4 weeks in Test community (11 Dec 2025 – 8 Jan 2026)"),
        ("/infochat mod health 12w", "the last 12 weeks in Test community (16 Oct 2025 –"),
        ("/infochat mod health period=1Y", "the last year in Test community (9 Jan 2025 –"),
    ],
)
async def test_the_periods_end_now(world: World, text: str, title: str) -> None:
    await history(world)
    reply = await world.say("mo", text)
    assert reply.ok and title in (reply.messages[0].title or "")
    assert "Requests: 2 sent" in reply.messages[0].text


async def test_a_period_that_ended_before_the_requests_has_none(world: World) -> None:
    await history(world)
    await world.travel(60 * DAY)
    reply = await world.say("mo", "/infochat mod health")
    assert "Requests: none sent in this period." in reply.messages[0].text.splitlines()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("/infochat mod health period=5x", "I don't know the period “5x”. Use one of 4w, 12w, 1y"),
        ("/infochat mod health 4w junk", "I didn't understand “junk”."),
        ("/infochat mod health colour=red", "I don't know the field “colour”."),
        ("/infochat mod health period=4w period=1y", "Give period only once."),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(world: World, text: str, said: str) -> None:
    await history(world)
    outbox = await count(world, "outbox")
    reply = await world.say("mo", text)
    assert not reply.ok and reply.messages[0].text.startswith(said)
    assert await count(world, "outbox") == outbox


async def test_members_who_are_not_moderators_are_refused(world: World) -> None:
    await history(world)
    outbox = await count(world, "outbox")
    reply = await world.say("sam", "/infochat mod health")
    assert not reply.ok and "Only moderators" in reply.messages[0].text
    assert await count(world, "outbox") == outbox


async def test_the_measures_are_made_in_the_snapshot_not_the_transaction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await history(world)
    made: list[str] = []
    original = health.report

    async def spy(conn: Any, community: Any, period: str, now: datetime) -> health.Prepared:
        made.append(period)
        return await original(conn, community, period, now)

    monkeypatch.setattr(health, "report", spy)
    assert (await world.say("mo", "/infochat mod health 12w")).ok
    assert made == ["12w"]  # once, beside the writer: the handler used what it prepared
    assert not (await world.say("sam", "/infochat mod health")).ok
    assert made == ["12w"]  # nothing is computed for a member who may not see it


def test_parse_period_names_the_periods() -> None:
    assert [parse_period(p) for p in ("4w", "12W", " 1y ", "")] == ["4w", "12w", "1y", "4w"]
    with pytest.raises(InvalidInput) as refused:
        parse_period("2w")
    assert refused.value.fields == {"period": "One of 4w, 12w, 1y."}


def test_the_weekly_funnel_counts_each_request_in_the_week_it_was_sent() -> None:
    end = datetime(2026, 1, 29, tzinfo=UTC)
    funnel = WeeklyFunnel(week_starts(end, 4))
    assert funnel.starts[0] == datetime(2026, 1, 1, tzinfo=UTC)

    def sent(at: datetime, *, asked: bool = False, introduced: bool = False) -> RequestFacts:
        return RequestFacts(
            request_id=1,
            topic="data",
            submitted_at=at,
            well_formed=True,
            status=RequestStatus.OPEN,
            close_reason=None,
            first_asked_at=at if asked else None,
            answers=AskOutcomes(),
            introduced_at=at + DAY if introduced else None,
            chat_at=None,
            thanked=False,
        )

    funnel.add(sent(datetime(2025, 12, 31, tzinfo=UTC)))  # before the period: left out
    funnel.add(sent(datetime(2026, 1, 1, tzinfo=UTC), asked=True, introduced=True))
    funnel.add(sent(datetime(2026, 1, 7, 23, tzinfo=UTC), asked=True))
    funnel.add(sent(datetime(2026, 1, 28, 23, tzinfo=UTC)))
    assert [(w.sent, w.asked, w.introduced, w.chatted) for w in funnel.weeks()] == [
        (2, 2, 1, 0),
        (0, 0, 0, 0),
        (0, 0, 0, 0),
        (1, 0, 0, 0),
    ]
