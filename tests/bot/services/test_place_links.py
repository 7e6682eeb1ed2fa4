"""Moderators link two places into one community with a one-time code, and unlink them: the
flow on both sides, every bad code, and what goes back where when a place leaves."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.commands import CommunityRef
from bot.storage import link_codes
from bot.storage.schema import communities, metadata, places
from tests.support import (
    COMMUNITY,
    GOOD_REQUEST,
    OTHER_PLACE,
    World,
    button,
    count,
    join_all,
    text_of,
)

CODE = re.compile(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}")
THIRD_PLACE = CommunityRef("console", "third", "Third place")


@pytest.fixture(autouse=True)
def two_places(world: World) -> None:
    """Mo moderates the first place; Odo the other, where Dana, a seeker, lives."""
    world.moderators.update({"mo", "max", "odo", "tess"})
    world.homes.update({"odo": OTHER_PLACE, "dana": OTHER_PLACE, "tess": THIRD_PLACE})


async def community_id(world: World, place: CommunityRef) -> int:
    async with world.db.transaction() as conn:
        query = sa.select(places.c.community_id).where(places.c.external_id == place.external_id)
        return int((await conn.execute(query)).scalar_one())


async def founded_on(world: World, place: CommunityRef) -> int:
    async with world.db.transaction() as conn:
        query = sa.select(communities.c.id).where(communities.c.external_id == place.external_id)
        return int((await conn.execute(query)).scalar_one())


async def new_code(world: World, moderator: str = "mo") -> str:
    reply = await world.say(moderator, "/infochat mod link-place")
    assert reply.ok, reply.messages
    found = CODE.search(reply.messages[0].text)
    assert found is not None
    return found.group()


async def link(world: World, issuer: str = "mo", redeemer: str = "odo") -> None:
    code = await new_code(world, issuer)
    reply = await world.say(redeemer, f"/infochat mod link-place code={code}")
    assert reply.ok, reply.messages


def said(reply: object) -> str:
    from bot.views import Reply

    assert isinstance(reply, Reply)
    return "\n".join(text_of(m) for m in reply.messages)


async def accept_across(world: World, volunteer: str) -> None:
    """The volunteer's Accept, with how to be reached when it asks (an ask across places)."""
    accepted = await world.press(volunteer, button(world.last_with_buttons(volunteer), "Accept"))
    assert accepted.ok, accepted.messages
    if accepted.form is not None:
        form = accepted.form
        reached = await world.act(volunteer, form.action, form.target, contact="me@example.org")
        assert reached.ok, reached.messages


async def test_a_code_links_the_other_place_and_both_sides_are_told(world: World) -> None:
    for user in ("mo", "dana"):  # each place exists, a community of its own
        await world.say(user, "/infochat help")
    first, other = await community_id(world, COMMUNITY), await community_id(world, OTHER_PLACE)
    assert first != other
    reply = await world.say("mo", "/infochat mod link-place")
    code = CODE.search(reply.messages[0].text)
    assert code is not None
    text = reply.messages[0].text
    assert "15 minutes" in text and "UTC" in text
    assert f"/infochat mod link-place code={code.group()}" in text
    assert f"/infochat-mod link-place code:{code.group()}" in text
    assert not any(code.group() in text_of(m) for _, m, _ in world.transport.sent)  # private

    # Positional, as typed by hand: case and dashes don't matter.
    typed = code.group().lower().replace("-", " ")
    joined = await world.say("odo", f'/infochat mod link-place "{typed}"')
    assert joined.ok, joined.messages
    assert "Other place (console) joined Test community" in said(joined)
    assert await community_id(world, OTHER_PLACE) == first
    for place in (COMMUNITY, OTHER_PLACE):
        told = [m for d, m in world.on_place(place) if d.channel == "moderators"]
        assert told and "joined Test community" in told[-1].text
    for moderator in ("mo", "odo"):
        listed = said(await world.say(moderator, "/infochat mod places"))
        assert "1 Test community (console) (founded here)" in listed
        assert "2 Other place (console)" in listed
        audit = said(await world.say(moderator, "/infochat mod audit"))
        assert "link place place:" in audit and "place code place:" in audit


async def test_the_community_is_one_across_places(world: World) -> None:
    await link(world)
    await join_all(world, ("priya",))  # a volunteer on the first place
    # A seeker on the other place is matched with her, and asked where she is.
    # (named only once she accepts: "Volunteer 1 (on another platform)" until then)
    suggestions = (await world.say("dana", GOOD_REQUEST)).messages[0]
    assert "Priya" not in text_of(suggestions) and "on another platform" in text_of(suggestions)
    assert (await world.press("dana", button(suggestions, "Ask volunteer 1"))).ok
    assert any(m.buttons for m in world.inbox("priya", COMMUNITY))
    assert not world.inbox("priya", OTHER_PLACE)
    # Settings changed on one place apply on the other.
    assert (await world.say("odo", "/infochat mod settings max_open_requests=2")).ok
    assert "max_open_requests 2" in said(await world.say("mo", "/infochat mod settings"))


async def test_a_moderator_on_either_place_approves(world: World) -> None:
    await link(world)
    assert (await world.say("mo", "/infochat mod settings approval_required=true")).ok
    await join_all(world, ("priya",))
    suggestions = (await world.say("dana", GOOD_REQUEST)).messages[0]
    assert (await world.press("dana", button(suggestions, "Ask volunteer 1"))).ok
    for place in (COMMUNITY, OTHER_PLACE):
        waiting = [m for d, m in world.on_place(place) if "Approval needed" in (m.title or "")]
        assert waiting, place
    approval = [m for d, m in world.on_place(OTHER_PLACE) if "Approval" in (m.title or "")][-1]
    assert (await world.press("odo", button(approval, "Approve"))).ok
    assert any(m.buttons for m in world.inbox("priya", COMMUNITY))
    again = await world.press("mo", button(approval, "Approve"))
    assert not again.ok and "already handled" in again.messages[0].text


async def test_the_weekly_digest_and_the_ledger_are_the_same_on_both_places(
    world: World,
) -> None:
    await link(world)
    await join_all(world, ("priya",))
    suggestions = (await world.say("dana", GOOD_REQUEST)).messages[0]
    assert (await world.press("dana", button(suggestions, "Ask volunteer 1"))).ok
    await accept_across(world, "priya")
    await world.travel(timedelta(days=3))
    asked = [m for m in world.inbox("dana") if (m.title or "").startswith("Did your chat")][-1]
    assert (await world.press("dana", button(asked, "Yes"))).ok
    ledgers = [said(await world.say(m, "/infochat mod ledger")) for m in ("mo", "odo")]
    assert ledgers[0] == ledgers[1] and "Chats completed 1" in ledgers[0]
    await world.travel(timedelta(days=7))
    digests = {
        place: [m for d, m in world.on_place(place) if d.channel == "digest"]
        for place in (COMMUNITY, OTHER_PLACE)
    }
    assert len(digests[COMMUNITY]) == len(digests[OTHER_PLACE]) == 1
    first, other = digests[COMMUNITY][0], digests[OTHER_PLACE][0]
    assert first.lines == other.lines and first.text == other.text


@pytest.mark.parametrize(
    "code",
    [
        "AAAA-BBBB-CCCC",  # guessed
        "X" * 5000,
        "ÄÖÜÉ-ÄÖÜÉ-ÄÖÜÉ",
        "ＫＫＫＫ-２２２２-３３３３",
        "\x00\x07\x1b[31m",
        "@everyone",
        "<@&123> @here",
    ],
)
async def test_a_code_that_isnt_one_is_refused_and_changes_nothing(world: World, code: str) -> None:
    await new_code(world)
    reply = await world.act("odo", "mod.link_place", code=code)
    assert not reply.ok
    assert "code" in reply.messages[0].text and len(reply.messages[0].text) < 200
    assert await community_id(world, OTHER_PLACE) != await community_id(world, COMMUNITY)
    assert await count(world, "link_codes", used_at=None) == 1


async def test_an_expired_code_is_refused(world: World) -> None:
    code = await new_code(world)
    await world.travel(timedelta(minutes=16))
    reply = await world.say("odo", f"/infochat mod link-place code={code}")
    assert not reply.ok and "expired" in reply.messages[0].text
    assert await community_id(world, OTHER_PLACE) != await community_id(world, COMMUNITY)


async def test_a_used_code_is_refused(world: World) -> None:
    code = await new_code(world)
    assert (await world.say("odo", f"/infochat mod link-place code={code}")).ok
    reply = await world.say("tess", f"/infochat mod link-place code={code}")
    assert not reply.ok and "used already" in reply.messages[0].text
    assert await community_id(world, THIRD_PLACE) == await founded_on(world, THIRD_PLACE)


async def test_a_new_code_replaces_the_earlier_one(world: World) -> None:
    earlier = await new_code(world)
    await new_code(world)
    reply = await world.say("odo", f"/infochat mod link-place code={earlier}")
    assert not reply.ok and "don't know that code" in reply.messages[0].text


async def test_an_account_code_is_refused(world: World) -> None:
    await world.say("mo", "/infochat help")
    first = await community_id(world, COMMUNITY)
    async with world.db.transaction() as conn:
        mo = await conn.execute(sa.text("select id, place_id from members where user_id='mo'"))
        row = mo.one()
        code, _ = await link_codes.issue(
            conn, "account", first, row.place_id, row.id, world.clock.now()
        )
    reply = await world.say("odo", f"/infochat mod link-place code={code}")
    assert not reply.ok and "linking your accounts" in reply.messages[0].text
    assert await community_id(world, OTHER_PLACE) != first


async def test_a_code_from_the_same_community_is_refused(world: World) -> None:
    code = await new_code(world)
    reply = await world.say("max", f"/infochat mod link-place code={code}")
    assert not reply.ok and "already part of that community" in reply.messages[0].text
    # Refused, it stays usable for the other place.
    assert (await world.say("odo", f"/infochat mod link-place code={code}")).ok
    # Once linked, a code from either place is for the same community.
    code = await new_code(world, "odo")
    reply = await world.say("mo", f"/infochat mod link-place code={code}")
    assert not reply.ok and "already part" in reply.messages[0].text


async def test_members_who_arent_moderators_are_refused(world: World) -> None:
    refused = await world.say("sam", "/infochat mod link-place")
    assert not refused.ok and "Only moderators" in refused.messages[0].text
    assert await count(world, "link_codes") == 0
    code = await new_code(world)
    reply = await world.say("dana", f"/infochat mod link-place code={code}")
    assert not reply.ok and "Only moderators" in reply.messages[0].text
    for command in ("mod places", "mod unlink-place", "mod unlink-place 2"):
        assert not (await world.say("dana", f"/infochat {command}")).ok
    assert (await world.say("odo", f"/infochat mod link-place code={code}")).ok


async def test_a_repeated_key_changes_nothing(world: World) -> None:
    code = await new_code(world)
    first = await world.say("odo", f"/infochat mod link-place code={code}", key="link-1")
    again = await world.say("odo", f"/infochat mod link-place code={code}", key="link-1")
    assert first.ok and again.replay and again.messages == first.messages
    assert await count(world, "audit_log", action="link place") == 1
    sent = len(world.transport.sent)
    left = await world.say("odo", "/infochat mod unlink-place", key="unlink-1")
    assert left.ok, left.messages
    sent = len(world.transport.sent)
    repeat = await world.say("odo", "/infochat mod unlink-place", key="unlink-1")
    assert repeat.replay and repeat.messages == left.messages
    assert len(world.transport.sent) == sent
    assert await count(world, "audit_log", action="unlink place") == 2  # one on each side


TABLES = ("places", "members", "volunteers", "volunteer_keys", "requests", "introductions")


async def per_community(world: World) -> dict[str, list[tuple[int, int]]]:
    """Rows per community of each table (and the pending jobs a community's own rows have)."""
    found = {}
    async with world.db.transaction() as conn:
        for name in (*TABLES, "jobs", "audit_log"):
            table = metadata.tables[name]
            query = sa.select(table.c.community_id, sa.func.count()).group_by(table.c.community_id)
            if name == "jobs":
                query = query.where(
                    table.c.status == "pending",
                    table.c.kind.in_(("ask.remind", "ask.expire", "request.expire", "followup")),
                )
            if name == "audit_log":
                query = query.where(
                    table.c.action.not_in(("place code", "link place", "unlink place"))
                )
            rows = await conn.execute(query.order_by(table.c.community_id))
            found[name] = [(r[0], r[1]) for r in rows]
    return found


async def busy_on_both_places(world: World) -> None:
    world.homes["chen"] = OTHER_PLACE
    await join_all(world, ("priya", "bob", "chen"))
    for seeker in ("sam", "dana"):  # each asks a volunteer on their own place
        suggestions = (await world.say(seeker, GOOD_REQUEST)).messages[0]
        volunteer = "priya" if seeker == "sam" else "chen"
        pressed = await world.press(seeker, button(suggestions, f"Ask {volunteer.capitalize()}"))
        assert pressed.ok
        await accept_across(world, volunteer)
    assert (await world.say("ana", GOOD_REQUEST)).ok  # an open request, a pending ask
    assert (await world.say("odo", "/infochat mod settings max_open_requests=2")).ok
    assert (await world.say("mo", "/infochat mod audit")).ok


async def test_unlinking_gives_each_place_back_what_came_from_it(world: World) -> None:
    await busy_on_both_places(world)
    before = await per_community(world)
    await link(world)
    linked = await per_community(world)
    first = await community_id(world, COMMUNITY)
    assert [c for c, _ in linked["members"]] == [first]  # all of it in one community
    left = await world.say("mo", "/infochat mod unlink-place 2")
    assert left.ok, left.messages
    assert "Other place (console) left Test community" in said(left)
    after = await per_community(world)
    assert after == before
    # Its own settings again; the first place kept the ones it had.
    assert "max_open_requests 2" in said(await world.say("odo", "/infochat mod settings"))
    assert "max_open_requests 2" not in said(await world.say("mo", "/infochat mod settings"))
    for place in (COMMUNITY, OTHER_PLACE):
        told = [m for d, m in world.on_place(place) if d.channel == "moderators"]
        assert "left Test community" in told[-1].text
    assert await count(world, "audit_log", action="unlink place") == 2


async def test_unlinking_is_refused_where_it_cant_be(world: World) -> None:
    reply = await world.say("mo", "/infochat mod unlink-place")
    assert not reply.ok and "one place only" in reply.messages[0].text
    await link(world)
    own = await world.say("mo", "/infochat mod unlink-place")
    assert not own.ok and "where this community was founded" in own.messages[0].text
    founding = await world.say("odo", "/infochat mod unlink-place 1")
    assert not founding.ok and "can't leave itself" in founding.messages[0].text
    for bad in ("3", "0", "-1", "abc", "@everyone", "99999999999"):
        refused = await world.act("odo", "mod.unlink_place", bad)
        assert not refused.ok and "no place" in refused.messages[0].text, bad
    assert await community_id(world, OTHER_PLACE) == await community_id(world, COMMUNITY)
    assert (await world.say("odo", "/infochat mod unlink-place")).ok
    assert await community_id(world, OTHER_PLACE) == await founded_on(world, OTHER_PLACE)
    listed = said(await world.say("odo", "/infochat mod places"))
    assert "1 Other place (console) (founded here) (you are here)" in listed


async def test_asks_across_the_split_are_withdrawn_and_move_on(world: World) -> None:
    await link(world)
    await join_all(world, ("priya", "bob"))
    suggestions = (await world.say("dana", GOOD_REQUEST)).messages[0]
    assert (await world.press("dana", button(suggestions, "Ask volunteer 1"))).ok
    assert await count(world, "asks", status="asked") == 1
    left = await world.say("odo", "/infochat mod unlink-place")
    assert left.ok and "1 ask(s) waiting across the two were withdrawn" in said(left)
    assert await count(world, "asks", status="withdrawn") == 1
    # Dana's request went with her; nobody fits there now, so it closes kindly.
    assert any("Everyone who fits" in m.text for m in world.inbox("dana"))
    stale = await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    assert not stale.ok
    assert await count(world, "introductions") == 0


async def test_linked_accounts_across_the_split_are_split(world: World) -> None:
    await link(world)
    world.homes["dana"] = OTHER_PLACE
    await world.say("dana", "/infochat help")
    world.homes["dana"] = COMMUNITY
    await world.say("dana", "/infochat help")
    async with world.db.transaction() as conn:
        rows = await conn.execute(sa.text("select id, place_id from members where user_id='dana'"))
        ids = sorted(r.id for r in rows)
        await conn.execute(
            sa.text("update members set person_id=:p where id=:a"), {"p": ids[0], "a": ids[1]}
        )
        await conn.execute(
            sa.text("update members set reach_id=:a where id=:p"), {"p": ids[0], "a": ids[1]}
        )
    assert (await world.say("mo", "/infochat mod unlink-place 2")).ok
    async with world.db.transaction() as conn:
        rows = (
            await conn.execute(
                sa.text("select person_id, reach_id from members where user_id='dana'")
            )
        ).all()
    assert [(r.person_id, r.reach_id) for r in rows] == [(None, None), (None, None)]


async def test_the_founding_place_is_not_always_the_oldest(world: World) -> None:
    await world.say("odo", "/infochat help")  # the other place is met first
    code = await new_code(world, "mo")
    assert (await world.say("odo", f"/infochat mod link-place code={code}")).ok
    listed = said(await world.say("odo", "/infochat mod places"))
    assert "1 Other place (console) (you are here)" in listed
    assert "2 Test community (console) (founded here)" in listed
    refused = await world.say("odo", "/infochat mod unlink-place 2")
    assert not refused.ok and "can't leave itself" in refused.messages[0].text
    assert (await world.say("mo", "/infochat mod unlink-place 1")).ok
    assert await community_id(world, OTHER_PLACE) == await founded_on(world, OTHER_PLACE)


async def test_the_joining_communitys_own_jobs_stop_and_come_back(world: World) -> None:
    for user in ("mo", "odo"):
        await world.say(user, "/infochat help")
    await world.travel(timedelta(0))  # each community gets its digest and housekeeping
    own = ("digest.weekly", "housekeeping")
    assert [await count(world, "jobs", kind=k, status="pending") for k in own] == [2, 2]
    await link(world)
    assert [await count(world, "jobs", kind=k, status="pending") for k in own] == [1, 1]
    await world.travel(timedelta(days=8))
    for place in (COMMUNITY, OTHER_PLACE):  # one digest a week on each place, not two
        assert len([m for d, m in world.on_place(place) if d.channel == "digest"]) == 1
    assert (await world.say("odo", "/infochat mod unlink-place")).ok
    assert [await count(world, "jobs", kind=k, status="pending") for k in own] == [2, 2]


async def statements_to_link(world: World, volunteers: tuple[str, ...]) -> tuple[int, int]:
    """Statements the link and the unlink take (the command's own, not the deliveries')."""
    from tests.bot.test_command_statements import statements

    for name in volunteers:
        world.homes[name] = OTHER_PLACE
    await join_all(world, volunteers)
    code = await new_code(world)
    odo = world.actor("odo")
    with statements(world) as linked:
        reply = await world.app.dispatch_text(odo, f"/infochat mod link-place code={code}", code)
    assert reply.ok
    with statements(world) as unlinked:
        reply = await world.app.dispatch_text(odo, "/infochat mod unlink-place", f"u{code}")
    assert reply.ok
    await world.worker.drain()
    return len(linked), len(unlinked)


async def test_linking_costs_the_same_statements_whatever_the_size(world: World) -> None:
    await world.say("odo", "/infochat mod places")  # met, and told how approval works
    small = await statements_to_link(world, ("priya",))
    assert await statements_to_link(world, ("bob", "chen")) == small


async def test_two_places_racing_for_one_code_link_one(world: World) -> None:
    import asyncio

    from bot.commands import Command

    code = await new_code(world)
    for user in ("odo", "tess"):
        await world.say(user, "/infochat help")
    commands = [
        Command(world.actor(user), "mod.link_place", f"race-{user}", "", {"code": code})
        for user in ("odo", "tess")
    ]
    replies = await asyncio.gather(*(world.app.dispatch(c) for c in commands))
    assert sorted(r.ok for r in replies) == [False, True]
    (refused,) = [r for r in replies if not r.ok]
    assert "used already" in refused.messages[0].text
    first = await community_id(world, COMMUNITY)
    joined = [await community_id(world, p) == first for p in (OTHER_PLACE, THIRD_PLACE)]
    assert sorted(joined) == [False, True]


async def test_two_places_linking_each_other_at_once_end_as_one_community(world: World) -> None:
    import asyncio

    from bot.commands import Command

    ours, theirs = await new_code(world, "mo"), await new_code(world, "odo")
    commands = [
        Command(world.actor("odo"), "mod.link_place", "cross-1", "", {"code": ours}),
        Command(world.actor("mo"), "mod.link_place", "cross-2", "", {"code": theirs}),
    ]
    replies = await asyncio.gather(*(world.app.dispatch(c) for c in commands))
    assert sorted(r.ok for r in replies) == [False, True], replies
    assert await community_id(world, COMMUNITY) == await community_id(world, OTHER_PLACE)
    assert await count(world, "places") == 2
