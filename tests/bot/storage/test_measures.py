"""The program-health measures read from a community's history, built through the real core
(members send requests, volunteers answer, time passes), on both engines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.domain.measures import Measures
from bot.domain.measures_text import describe
from bot.storage.measures import measure, month_edges
from bot.storage.schema import introductions, members, requests
from tests.bot.services.test_digest_scale import grow, statements
from tests.support import GOOD_REQUEST, World, button, make_world

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)


def request(topic: str, extra: str = "", minutes: int = 15) -> str:
    text = GOOD_REQUEST.replace('topic="data engineering"', f'topic="{topic}"')
    return text.replace("minutes=15", f"minutes={minutes}") + " " + extra


async def volunteer(world: World, name: str, topic: str, extra: str = "") -> None:
    zone = "" if "timezone=" in extra else "timezone=UTC"
    reply = await world.say(
        name, f'/infochat volunteer join role=Maker org=Guild topics="{topic}" {zone} {extra}'
    )
    assert reply.ok, reply.messages


async def ask_auto(world: World, seeker: str, text: str) -> None:
    """`seeker` sends a request and lets the bot choose whom to ask."""
    reply = await world.say(seeker, text)
    assert reply.ok, reply.messages
    assert (await world.press(seeker, button(reply.messages[0], "Let the bot choose"))).ok


async def answer(world: World, volunteer: str, label: str) -> None:
    assert (await world.press(volunteer, button(world.last_with_buttons(volunteer), label))).ok


async def member_id(world: World, user: str) -> int:
    async with world.db.read() as conn:
        query = sa.select(members.c.id).where(members.c.user_id == user)
        return int((await conn.execute(query)).scalar_one())


async def last_introduction(world: World) -> int:
    async with world.db.read() as conn:
        query = sa.select(sa.func.max(introductions.c.id))
        return int((await conn.execute(query)).scalar_one())


async def chat_happens(world: World, seeker: str, *, thanks: bool = False) -> int:
    """The seeker confirms their latest introduction's chat happened (and thanks)."""
    intro = await last_introduction(world)
    assert (await world.act(seeker, "followup.yes", f"{intro}:0")).ok
    if thanks:
        assert (await world.act(seeker, "thanks.send", str(intro), text="Thank you!")).ok
    return intro


async def measured(world: World, start: datetime, end: datetime) -> Measures:
    async with world.db.read() as conn:
        return await measure(conn, 1, start, end, world.clock.now())


async def test_the_funnel_and_each_way_an_ask_ends(world: World) -> None:
    t0 = world.clock.now()
    await volunteer(world, "vera", "pottery", "capacity=1")
    await volunteer(world, "otto", "beekeeping")
    await volunteer(world, "nina", "sailing")
    await volunteer(world, "ida", "origami")  # never asked
    # Sam's request goes all the way: asked after 2 hours, accepted a day later, the chat
    # confirmed a day after that, and thanked.
    suggestions = (await world.say("sam", request("pottery"))).messages[0]
    await world.travel(2 * HOUR)
    assert (await world.press("sam", button(suggestions, "Let the bot choose"))).ok
    await world.travel(DAY)
    await answer(world, "vera", "Accept")
    await world.travel(DAY)
    await chat_happens(world, "sam", thanks=True)
    # Declined, then nobody left to ask; "not right now", then nobody left.
    await ask_auto(world, "ana", request("beekeeping"))
    await answer(world, "otto", "Decline")
    await ask_auto(world, "eve", request("sailing"))
    await answer(world, "nina", "Not right now")
    # Nobody lists the topic at all: closed at once, never asked.
    assert (await world.say("dan", request("ux research"))).ok
    # Kept as a draft by the coach (30 minutes is a big ask), sent anyway, never answered.
    draft = await world.say("kim", request("beekeeping", minutes=30))
    sent = await world.press("kim", button(draft.messages[0], "Send"))
    assert (await world.press("kim", button(sent.messages[0], "Let the bot choose"))).ok
    await world.travel(8 * DAY)  # the ask expires; nobody is left to ask

    m = await measured(world, t0, world.clock.now())
    f = m.funnel
    assert (f.sent, f.asked, f.accepted, f.introduced, f.chatted, f.thanked) == (5, 4, 1, 1, 1, 1)
    a = m.asks
    assert (a.accepted, a.declined, a.not_now, a.silent, a.suggested) == (1, 1, 1, 1, 0)
    assert (a.acceptance, a.decline, a.not_now_rate, a.silence) == (0.25, 0.25, 0.25, 0.25)
    assert m.to_first_ask.count == 4
    assert m.to_first_ask.median == timedelta(0)  # the others were asked at once
    assert m.to_first_ask.p90 == 0.7 * 2 * HOUR  # between 0 (third) and 2 hours (fourth)
    assert (m.to_introduction.count, m.to_introduction.median) == (1, DAY + 2 * HOUR)
    assert (m.to_chat.count, m.to_chat.p90) == (1, 2 * DAY + 2 * HOUR)
    # Kim's request was kept as a draft first: not well-formed. Dan's counts, not introduced.
    assert (m.well_formed, m.well_formed_in_time, m.well_formed_pending) == (4, 1, 0)
    assert m.nobody_to_ask == (("beekeeping", 2), ("sailing", 1), ("ux research", 1))
    load = m.load
    assert (load.volunteers, load.chats, load.at_capacity, load.never_asked) == (4, 1, 1, 1)
    assert load.gini == pytest.approx(0.75)  # one introduction among four volunteers
    assert load.chats_per_volunteer == 0.25
    vera = await member_id(world, "vera")
    assert [v.member_id for v in load.each if v.at_capacity] == [vera]
    assert (m.helped, m.paid_forward, m.pay_it_forward) == (1, 0, 0.0)
    assert m.windows_checked == 0  # Vera gave no windows: nothing to check
    lines = describe(m)
    assert (
        lines[1]
        == "• 2 requests about beekeeping closed with nobody to ask: recruit volunteers for beekeeping."
    )


async def test_events_on_the_period_s_edges(world: World) -> None:
    await volunteer(world, "vera", "pottery")
    t0 = world.clock.now()
    for seeker in ("sam", "ana", "eve"):  # nobody lists ux research: each closed at once
        assert (await world.say(seeker, request("ux research"))).ok
        await world.travel(HOUR)
    inside = await measured(world, t0 + HOUR, t0 + 2 * HOUR)  # Ana's, at the very start
    assert inside.funnel.sent == 1
    assert inside.nobody_to_ask == (("ux research", 1),)
    assert (await measured(world, t0 + HOUR + TICK, t0 + 2 * HOUR)).funnel.sent == 0

    await ask_auto(world, "bo", request("pottery"))
    await answer(world, "vera", "Accept")
    introduced = world.clock.now()
    await world.travel(HOUR)
    await chat_happens(world, "bo")
    happened = world.clock.now()
    at_edge = await measured(world, introduced, happened)  # the chat is just outside
    assert [(v.introductions, v.chats) for v in at_edge.load.each] == [(1, 0)]
    assert at_edge.helped == 0
    later = await measured(world, introduced + TICK, happened + TICK)
    assert [(v.introductions, v.chats) for v in later.load.each] == [(0, 1)]
    assert later.helped == 1
    assert later.funnel.sent == 0  # Bo's request was sent before the period


async def test_an_empty_period_has_every_measure_defined(world: World) -> None:
    assert (await world.say("mo", "/infochat help")).ok
    now = world.clock.now()
    m = await measured(world, now - 28 * DAY, now)
    assert m.funnel.sent == m.funnel.thanked == m.asks.total == 0
    assert (m.asks.acceptance, m.asks.silence, m.in_time_share, m.pay_it_forward) == (None,) * 4
    assert (m.to_first_ask.count, m.to_first_ask.median, m.to_chat.p90) == (0, None, None)
    assert (m.load.volunteers, m.load.gini, m.load.chats_per_volunteer) == (0, None, None)
    assert (m.nobody_to_ask, m.windows_checked, m.no_common_window) == ((), 0, 0)
    assert describe(m) == [
        "Nothing needs attention first.",
        "Requests: none sent in this period.",
        "Volunteers: none yet.",
    ]


async def test_members_who_erased_their_data_still_count_but_never_by_name(world: World) -> None:
    t0 = world.clock.now()
    await volunteer(world, "vera", "pottery")
    await ask_auto(world, "sam", request("pottery"))
    await answer(world, "vera", "Accept")
    await chat_happens(world, "sam", thanks=True)
    vera = await member_id(world, "vera")
    for name in ("sam", "vera"):
        erase = await world.say(name, "/infochat me delete")
        assert (await world.press(name, button(erase.messages[0], "Delete my data"))).ok

    m = await measured(world, t0, world.clock.now() + TICK)
    f = m.funnel
    assert (f.sent, f.asked, f.introduced, f.chatted, f.thanked) == (1, 1, 1, 1, 1)
    assert [(v.member_id, v.introductions, v.chats) for v in m.load.each] == [(vera, 1, 1)]
    assert m.load.each[0].monthly_capacity is None  # her profile is gone
    assert m.helped == 1
    text = "\n".join(describe(m))
    assert "Requests: 1 sent" in text
    assert "Vera" not in text and "Sam" not in text and "former member" not in text


async def test_pay_it_forward_counts_those_helped_who_helped_later(world: World) -> None:
    t0 = world.clock.now()
    await volunteer(world, "vera", "pottery", "capacity=1")
    await ask_auto(world, "sam", request("pottery"))
    await answer(world, "vera", "Accept")
    await chat_happens(world, "sam")
    await world.travel(DAY)
    await volunteer(world, "sam", "pottery")  # Vera is at capacity: Sam is asked next
    second = world.clock.now()
    await ask_auto(world, "ana", request("pottery"))
    await answer(world, "sam", "Accept")
    await chat_happens(world, "ana")
    end = world.clock.now() + TICK

    both = await measured(world, t0, end)
    assert (both.helped, both.paid_forward, both.pay_it_forward) == (2, 1, 0.5)
    assert "Paid forward: 1 of 2 members helped went on to help someone (50%)." in describe(both)
    only_ana = await measured(world, second, end)  # Sam was helped before this period
    assert (only_ana.helped, only_ana.paid_forward) == (1, 0)


async def test_introductions_whose_two_people_had_no_common_window(world: World) -> None:
    t0 = world.clock.now()  # a Monday in January: Lisbon is on UTC, New York 5 hours behind
    await volunteer(
        world, "alex", "pottery", 'capacity=4 timezone=Europe/Lisbon windows="Mon-Fri 18-20"'
    )
    for seeker, availability in (
        ("sam", 'timezone=Europe/Lisbon windows="Mon-Fri 9-10"'),  # mornings only: never
        ("ana", 'timezone=America/New_York windows="Mon-Fri 13-15"'),  # 18-20 in Lisbon
        ("eve", ""),  # gave no windows: free whenever Alex is
    ):
        await ask_auto(world, seeker, request("pottery", availability))
        await answer(world, "alex", "Accept")
    m = await measured(world, t0, world.clock.now() + TICK)
    assert (m.funnel.introduced, m.windows_checked, m.no_common_window) == (3, 3, 1)
    assert "• 1 introduction had no common time in both people's weekly windows." in describe(m)


async def test_month_edges_split_the_period_at_each_first_of_a_month() -> None:
    from datetime import UTC

    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    end = datetime(2027, 2, 1, tzinfo=UTC)
    assert month_edges(start, end) == [
        start,
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
        end,
    ]
    assert month_edges(start, start + DAY) == [start, start + DAY]


@pytest.fixture
async def community(world: World) -> World:
    world.moderators.add("mo")
    assert (await world.say("mo", "/infochat help")).ok
    return world


async def test_the_same_statements_at_any_community_size(community: World) -> None:
    now = community.clock.now()

    async def cost() -> tuple[int, Measures]:
        with statements(community) as seen:
            m = await measured(community, now - 28 * DAY, now + DAY)
        return len(seen), m

    await grow(community, 4)
    small, few = await cost()
    await grow(community, 60)
    large, many = await cost()
    assert small == large
    assert (few.load.chats, many.load.chats) == (6, 96)  # each giver's chat, and the chains'
    assert many.funnel.sent > few.funnel.sent > 0


async def test_a_request_sent_anyway_is_counted_from_when_it_was_sent(world: World) -> None:
    await volunteer(world, "vera", "pottery")
    draft = await world.say("kim", request("pottery", minutes=30))
    await world.travel(DAY)  # the draft waits a day before Kim sends it
    sent_at = world.clock.now()
    sent = await world.press("kim", button(draft.messages[0], "Send"))
    assert (await world.press("kim", button(sent.messages[0], "Let the bot choose"))).ok
    m = await measured(world, sent_at, sent_at + HOUR)
    assert (m.funnel.sent, m.funnel.asked, m.to_first_ask.median) == (1, 1, timedelta(0))
    assert m.well_formed == 0
    async with world.db.read() as conn:
        warnings = (await conn.execute(sa.select(requests.c.warnings))).scalar_one()
    assert warnings == ["minutes_long"]


async def test_with_approval_the_first_ask_is_when_a_volunteer_is_asked(
    database_url: str,
) -> None:
    world = await make_world(database_url, approval_required=True)
    world.moderators.add("mo")
    try:
        t0 = world.clock.now()
        await volunteer(world, "vera", "pottery")
        await ask_auto(world, "sam", request("pottery"))
        await world.travel(5 * HOUR)  # the moderators approve five hours later
        assert (await world.press("mo", button(world.channel("moderators")[-1], "Approve"))).ok
        await ask_auto(world, "ana", request("pottery"))
        denied = button(world.channel("moderators")[-1], "Deny")
        assert (await world.press("mo", denied, reason="Not this time.")).ok
        m = await measured(world, t0, world.clock.now() + TICK)
        assert (m.funnel.sent, m.funnel.asked) == (2, 1)  # Ana's ask never reached Vera
        assert (m.to_first_ask.count, m.to_first_ask.median) == (1, 5 * HOUR)
        assert m.asks.total == 0  # Vera hasn't answered yet; a denial is no answer of hers
        assert [v.asks for v in m.load.each] == [1]
    finally:
        await world.db.dispose()
