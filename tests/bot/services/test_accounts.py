"""A member's accounts on two places of one community: linked into one member, counted per
person, reached where they were last, exported and erased together, and split again."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.commands import CommunityRef, parse_text
from bot.storage import link_codes
from bot.storage.schema import link_codes as link_codes_table
from bot.storage.schema import members, metadata, volunteer_keys, volunteers
from bot.views import Message, Reply
from tests.bot.services.test_privacy import exported
from tests.bot.test_command_statements import statements
from tests.support import (
    COMMUNITY,
    GOOD_REQUEST,
    OTHER_PLACE,
    World,
    button,
    count,
    join_all,
    join_places,
    make_world,
    replay_of,
    text_of,
)

THIRD_PLACE = CommunityRef("console", "third", "Third place")
CODE = re.compile(r"`([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})`")
PRIYA_ELSEWHERE = (
    'role="Analytics engineer" org=Umbrella topics="data engineering" timezone=Europe/Berlin'
)


async def two_places(world: World, *others: str) -> None:
    """COMMUNITY and OTHER_PLACE are one community; `others` act from OTHER_PLACE."""
    await join_places(world, COMMUNITY, OTHER_PLACE)
    for user in others:
        world.homes[user] = OTHER_PLACE


async def code_of(world: World, user: str) -> str:
    reply = await world.say(user, "/infochat link")
    assert reply.ok, reply.messages
    found = CODE.search(reply.messages[0].text)
    assert found is not None, reply.messages[0].text
    return found.group(1)


async def link(world: World, maker: str, user: str) -> Reply:
    """`maker` shows a code, `user` enters it on their place."""
    return await world.say(user, f"/infochat link code={await code_of(world, maker)}")


async def linked_rows(world: World) -> int:
    async with world.db.transaction() as conn:
        query = sa.select(sa.func.count()).where(members.c.person_id.is_not(None))
        return int((await conn.execute(query)).scalar_one())


async def person_row(world: World, user_id: str) -> sa.Row[tuple[object, ...]]:
    async with world.db.transaction() as conn:
        return (await conn.execute(sa.select(members).where(members.c.user_id == user_id))).one()


async def ask_across(world: World, seeker: str, suggestions: Message, role: str) -> None:
    """`seeker` asks the volunteer of `role` on another place: the suggestion says what they
    do, never who they are."""
    assert f"1. Volunteer 1 (on another platform) {role}" in text_of(suggestions), suggestions
    assert (await world.press(seeker, button(suggestions, "Ask volunteer 1"))).ok


async def accept_across(world: World, volunteer: str, ask: Message) -> None:
    """An Accept across places: the form asks how to be reached, then the answer accepts."""
    form = (await world.press(volunteer, button(ask, "Accept"))).form
    assert form is not None and form.action == "ask.accept_contact"
    reply = await world.act(volunteer, form.action, form.target, contact="priya@example.org")
    assert reply.ok, reply.messages
    assert await count(world, "asks", status="accepted") == 1


async def test_linking_makes_one_member_of_two_accounts(world: World) -> None:
    await two_places(world, "samd")
    await join_all(world)
    assert (await world.say("sam", GOOD_REQUEST)).ok
    reply = await link(world, "sam", "samd")
    assert reply.ok and reply.messages[0].title == "Accounts linked", reply.messages
    assert "Test community (console) as sam" in text_of(reply.messages[0])
    assert "Other place (console) as samd" in text_of(reply.messages[0])
    assert await linked_rows(world) == 1
    # The request sam made is samd's too; the person row holds it.
    status = await world.say("samd", "/infochat status")
    assert "data engineering" in text_of(status.messages[0])
    sam, samd = await person_row(world, "sam"), await person_row(world, "samd")
    assert samd.person_id == sam.id and sam.reach_id == samd.id
    me = await world.say("samd", "/infochat me")
    accounts = next(m for m in me.messages if m.title == "Your linked accounts")
    assert len(accounts.lines) == 2
    audit = await count(world, "audit_log", action="member.link")
    assert audit == 1
    # sam is told on the place the code was made on, where sam was reached until now.
    (told,) = [
        m for m in world.inbox("sam", COMMUNITY) if m.title == "An account was linked to you"
    ]
    assert "Other place (console) as samd used your link code" in told.text


async def test_the_code_is_private_single_and_replaced_by_a_new_one(world: World) -> None:
    await two_places(world, "samd")
    first = await code_of(world, "sam")
    second = await code_of(world, "sam")
    assert first != second
    refused = await world.say("samd", f"/infochat link code={first}")
    assert not refused.ok and "don't know that code" in refused.messages[0].text
    assert (await world.say("samd", f"/infochat link code={second.lower()}")).ok
    again = await world.say("samd", f"/infochat link code={second}")
    assert not again.ok and "used already" in again.messages[0].text
    assert await count(world, "link_codes") == 1


async def refused_and_unchanged(world: World, user: str, code: str, words: str) -> None:
    async with world.db.transaction() as conn:
        before = (await conn.execute(sa.select(link_codes_table.c.used_at))).all()
    linked = await linked_rows(world)
    reply = await world.say(user, f"/infochat link code={code}")
    assert not reply.ok and words in reply.messages[0].text, reply.messages
    assert await linked_rows(world) == linked
    async with world.db.transaction() as conn:
        assert (await conn.execute(sa.select(link_codes_table.c.used_at))).all() == before


async def test_bad_codes_are_refused_and_change_nothing(world: World) -> None:
    await two_places(world, "samd", "dana")
    await refused_and_unchanged(world, "samd", "hello", "doesn't look like a link code")
    await refused_and_unchanged(world, "samd", "2222-3333-4444", "don't know that code")
    await refused_and_unchanged(world, "samd", "@everyone", "doesn't look like a link code")
    await refused_and_unchanged(world, "samd", "Ｋ7ＱＦ\u0000" * 40, "")
    code = await code_of(world, "sam")
    assert "one place so far" not in (await world.say("sam", "/infochat link")).messages[0].text
    code = await code_of(world, "sam")
    # The same place: two accounts there can't be one member.
    await refused_and_unchanged(world, "bob", code, "made on this place")
    # Expired.
    world.clock.advance(timedelta(minutes=16))
    await refused_and_unchanged(world, "samd", code, "expired")
    # A code for linking places.
    async with world.db.transaction() as conn:
        sam = (await conn.execute(sa.select(members).where(members.c.user_id == "sam"))).one()
        place_code, _ = await link_codes.issue(
            conn, "place", sam.community_id, sam.place_id, sam.id, world.clock.now()
        )
    await refused_and_unchanged(world, "samd", place_code, "for linking a place")
    # From a place that isn't part of the community.
    world.homes["tom"] = THIRD_PLACE
    await refused_and_unchanged(world, "tom", await code_of(world, "sam"), "moderator links")


async def test_accounts_cant_be_linked_twice_or_to_someone_else(world: World) -> None:
    await two_places(world, "samd", "dana")
    assert (await link(world, "sam", "samd")).ok
    await refused_and_unchanged(world, "samd", await code_of(world, "sam"), "linked already")
    await refused_and_unchanged(world, "sam", await code_of(world, "samd"), "linked already")
    # samd is sam's: ana's code can't take it; dana can't join sam (sam has samd there).
    await refused_and_unchanged(world, "samd", await code_of(world, "ana"), "unlink")
    await refused_and_unchanged(world, "dana", await code_of(world, "sam"), "on this place")


async def test_a_repeated_key_or_click_changes_nothing(world: World) -> None:
    await two_places(world, "samd")
    code = await code_of(world, "sam")
    first = await world.say("samd", f"/infochat link code={code}", key="same")
    again = await world.say("samd", f"/infochat link code={code}", key="same")
    assert first.ok and replay_of(again, first)
    assert await linked_rows(world) == 1
    assert await count(world, "audit_log", action="member.link") == 1


async def test_two_volunteer_profiles_the_member_picks_one(world: World) -> None:
    await two_places(world, "priyad", "dana")
    await join_all(world)
    assert (await world.say("priyad", f"/infochat volunteer join {PRIYA_ELSEWHERE}")).ok
    code = await code_of(world, "priya")
    choice = await world.say("priyad", f"/infochat link code={code}")
    assert choice.ok and len(choice.messages[0].buttons) == 2
    assert "Analytics engineer" in text_of(choice.messages[0])
    assert await linked_rows(world) == 0 and await count(world, "volunteers") == 4
    keep_mine = button(choice.messages[0], "Keep Analytics engineer")
    done = await world.press("priyad", keep_mine)
    assert done.ok and "kept one volunteer profile" in done.messages[0].text
    assert await count(world, "volunteers") == 3 and await linked_rows(world) == 1
    priya, priyad = await person_row(world, "priya"), await person_row(world, "priyad")
    async with world.db.transaction() as conn:
        role = await conn.execute(
            sa.select(volunteers.c.role).where(volunteers.c.member_id == priya.id)
        )
        assert role.scalar_one() == "Analytics engineer"
        keys = await conn.execute(
            sa.select(sa.func.count()).where(volunteer_keys.c.member_id == priyad.id)
        )
        assert keys.scalar_one() == 0
    # The other button, clicked later: the code is spent, nothing changes.
    late = await world.press("priyad", button(choice.messages[0], "Keep Data engineer"))
    assert not late.ok and "used already" in late.messages[0].text
    assert await count(world, "volunteers") == 3
    typed = await world.say("priyad", f"/infochat link code={code} keep=both")
    assert not typed.ok and "keep is" in typed.messages[0].text
    # One volunteer now, wherever the seeker is: sam's place (where priya was reached last
    # on the other place, so she is unnamed) and the other place (where she is named).
    suggestions = text_of((await world.say("sam", GOOD_REQUEST)).messages[0])
    assert suggestions.count("Analytics engineer at Umbrella") == 1, suggestions
    assert "Volunteer 2" not in suggestions and "Data engineer at Acme" not in suggestions
    assert "Priya" not in suggestions
    there = text_of((await world.say("dana", GOOD_REQUEST)).messages[0])
    assert there.count("Priya") == 1 and "Priyad" not in there, there
    assert there.count("Analytics engineer at Umbrella") == 1 and "Volunteer 1" not in there


async def test_differing_recognition_keeps_the_more_private_choice(world: World) -> None:
    await two_places(world, "samd")
    assert (await world.say("sam", "/infochat me recognition=on")).ok
    reply = await link(world, "sam", "samd")
    assert reply.ok and "public recognition: it is off now" in reply.messages[0].text
    assert not (await person_row(world, "sam")).public_recognition


async def test_open_requests_over_the_limit_stay_open_and_count_per_person(
    tmp_path: Path,
) -> None:
    world = await make_world(tmp_path / "w.db", max_open_requests=1)
    try:
        await two_places(world, "samd")
        await join_all(world)
        assert (await world.say("sam", GOOD_REQUEST)).ok
        assert (await world.say("samd", GOOD_REQUEST)).ok
        reply = await link(world, "sam", "samd")
        assert reply.ok and "2 open requests" in reply.messages[0].text
        assert await count(world, "requests", status="cancelled") == 0
        await world.say("sam", "/infochat cancel 1")
        # One still open between the two accounts: the limit of one holds on either place.
        for user in ("sam", "samd"):
            refused = await world.say(user, GOOD_REQUEST)
            assert "open" in text_of(refused.messages[0]), refused.messages
    finally:
        await world.db.dispose()


async def test_capacity_counts_per_person_across_places(world: World) -> None:
    await two_places(world, "priyad", "dana")
    await join_all(world, ("priya",))
    await world.say("priya", "/infochat volunteer edit capacity=1")
    assert (await link(world, "priya", "priyad")).ok
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    await ask_across(world, "sam", suggestions, "Data engineer at Acme")
    await accept_across(world, "priyad", world.last_with_buttons("priyad"))
    # dana is on priyad's place: priya would be named there, were she not full.
    full = text_of((await world.say("dana", GOOD_REQUEST)).messages[0])
    assert "Priya" not in full and "Data engineer at Acme" not in full, full
    assert await count(world, "asks") == 1


async def test_an_ask_reaches_the_account_used_last(world: World) -> None:
    await two_places(world, "priyad")
    await join_all(world)
    assert (await link(world, "priya", "priyad")).ok  # priyad acted last
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    await ask_across(world, "sam", suggestions, "Data engineer at Acme")
    assert world.inbox("priyad", OTHER_PLACE)[-1].buttons
    assert not any(m.buttons for m in world.inbox("priya"))
    await accept_across(world, "priyad", world.last_with_buttons("priyad"))
    await world.say("priya", "/infochat me")  # back on the first place
    suggestions = (await world.say("ana", GOOD_REQUEST)).messages[0]
    assert "Volunteer 1" not in text_of(suggestions)  # ana's place now: named
    assert (await world.press("ana", button(suggestions, "Ask Priya"))).ok
    assert world.inbox("priya", COMMUNITY)[-1].buttons
    assert world.inbox("priya", COMMUNITY)[-1] == world.last_with_buttons("priya")


async def test_a_decline_on_one_account_holds_on_the_other(world: World) -> None:
    await two_places(world, "priyad")
    await join_all(world)
    assert (await link(world, "priya", "priyad")).ok
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    await ask_across(world, "sam", suggestions, "Data engineer at Acme")
    declined = await world.press("priyad", button(world.last_with_buttons("priyad"), "Decline"))
    assert declined.ok, declined.messages
    assert (await world.say("sam", "/infochat cancel 1")).ok
    await world.say("priya", "/infochat me")  # reached on sam's place now: she'd be named
    again = text_of((await world.say("sam", GOOD_REQUEST)).messages[0])
    assert "Priya" not in again and "Data engineer at Acme" not in again, again


async def test_history_joins_the_person_and_is_counted_once(world: World) -> None:
    await two_places(world, "samd")
    await join_all(world)
    assert (await world.say("samd", GOOD_REQUEST)).ok
    requests_before = await count(world, "requests")
    assert (await link(world, "sam", "samd")).ok
    sam = await person_row(world, "sam")
    assert await count(world, "requests", seeker_id=sam.id) == requests_before
    status = await world.say("sam", "/infochat status")
    assert "data engineering" in text_of(status.messages[0])


async def test_export_covers_every_linked_account(world: World) -> None:
    await two_places(world, "samd")
    await join_all(world)
    assert (await world.say("sam", GOOD_REQUEST)).ok
    assert (await link(world, "sam", "samd")).ok
    assert (await world.say("samd", "/infochat me export")).ok
    data = exported(world, "samd")
    accounts = data["accounts"]
    assert isinstance(accounts, list)
    assert {(a["platform"], a["place"], a["user_id"]) for a in accounts} == {
        ("console", "Test community", "sam"),
        ("console", "Other place", "samd"),
    }
    requests = data["requests"]
    assert isinstance(requests, list) and len(requests) == 1


async def test_delete_erases_every_linked_account(world: World) -> None:
    await two_places(world, "samd")
    assert (await link(world, "sam", "samd")).ok
    await code_of(world, "samd")  # an unused code too
    prompt = await world.say("samd", "/infochat me delete")
    assert prompt.ok and prompt.messages[0].buttons
    done = await world.press("samd", button(prompt.messages[0], "Delete my data"))
    assert done.ok, done.messages
    assert await count(world, "members", user_id="sam") == 0
    assert await count(world, "members", user_id="samd") == 0
    assert await count(world, "link_codes") == 0
    async with world.db.transaction() as conn:
        rows = await conn.execute(
            sa.select(members.c.id, members.c.user_id, members.c.display_name).where(
                members.c.user_id.like("deleted:%")
            )
        )
        erased = {(r.user_id, r.display_name) for r in rows}
    assert len(erased) == 2 and all(u.split(":")[1].isdigit() for u, _ in erased)
    assert {name for _, name in erased} == {"a former member"}
    # Nothing more reaches either account.
    before = len(world.transport.sent)
    await world.travel(timedelta(days=8))
    assert not any({"sam", "samd"} & set(d.user_ids) for d, _, _ in world.transport.sent[before:])


async def test_unlink_the_account_that_leaves_starts_fresh(world: World) -> None:
    await two_places(world, "samd")
    await join_all(world)
    assert (await world.say("sam", GOOD_REQUEST)).ok
    assert (await link(world, "sam", "samd")).ok
    reply = await world.say("samd", "/infochat unlink")
    assert reply.ok and "starts fresh" in reply.messages[0].text, reply.messages
    assert "Test community (console) as sam" in reply.messages[0].text
    assert await linked_rows(world) == 0
    assert (await person_row(world, "sam")).reach_id is None
    assert "data engineering" in text_of((await world.say("sam", "/infochat status")).messages[0])
    assert "data engineering" not in text_of(
        (await world.say("samd", "/infochat status")).messages[0]
    )
    assert await count(world, "requests") == 1
    again = await world.say("samd", "/infochat unlink")
    assert not again.ok and "nothing to unlink" in again.messages[0].text
    # Linked again, the other way round this time.
    assert (await link(world, "samd", "sam")).ok


async def test_unlink_from_the_person_row_lets_the_others_go(world: World) -> None:
    await two_places(world, "samd")
    assert (await link(world, "sam", "samd")).ok
    reply = await world.say("sam", "/infochat unlink")
    assert reply.ok and "stays with this account" in reply.messages[0].text
    assert "Other place (console) as samd" in text_of(reply.messages[0])
    assert await linked_rows(world) == 0
    assert await count(world, "audit_log", action="member.unlink") == 1


async def test_a_code_on_a_community_of_one_place_says_how_to_go_on(world: World) -> None:
    reply = await world.say("sam", "/infochat link")
    assert reply.ok and "moderator links the other place" in reply.messages[0].text


@pytest.mark.parametrize(
    "text",
    [
        "/infochat link code=a code=b",
        "/infochat link x y",
        "/infochat link code=",
        '/infochat link code="  "',
        "/infochat link colour=red",
        "/infochat unlink now",
    ],
)
async def test_malformed_link_commands_are_refused(world: World, text: str) -> None:
    reply = await world.say("sam", text)
    assert not reply.ok
    assert await count(world, "link_codes") == 0


async def test_already_asked_holds_for_the_person_whichever_account_is_named(
    world: World,
) -> None:
    await two_places(world, "priyad", "evan")
    await join_all(world)
    assert (await link(world, "priya", "priyad")).ok
    assert (await world.say("sam", GOOD_REQUEST + " person=bob")).ok
    suggest = button(world.last_with_buttons("bob"), "Suggest")
    assert (await world.press("bob", suggest, colleague="priya")).ok
    suggest = button(world.last_with_buttons("priyad"), "Suggest")
    assert (await world.press("priyad", suggest, colleague="evan")).ok
    suggest = button(world.last_with_buttons("evan"), "Suggest")
    assert (await world.press("evan", suggest, colleague="priyad")).ok
    priya, priyad = await person_row(world, "priya"), await person_row(world, "priyad")
    assert await count(world, "asks", volunteer_id=priya.id) == 1
    assert await count(world, "asks", volunteer_id=priyad.id) == 0


async def test_linking_takes_the_same_statements_whatever_the_history(world: World) -> None:
    await two_places(world, "samd", "anad")
    await join_all(world)
    for number in range(1, 4):
        assert (await world.say("ana", GOOD_REQUEST)).ok
        assert (await world.say("ana", f"/infochat cancel {number}")).ok
    counted: list[int] = []
    kept: list[list[str]] = []
    for maker, user in (("sam", "samd"), ("ana", "anad")):
        code = await code_of(world, maker)
        with statements(world) as seen:  # the command's own, not the delivery's
            text = f"/infochat link code={code}"
            assert (await world.app.dispatch_text(world.actor(user), text, f"link-{user}")).ok
        kept.append([s[:90] for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))])
        counted.append(len(kept[-1]))
    assert counted[0] == counted[1], (counted, kept)
    ana = await person_row(world, "ana")
    assert await count(world, "requests", seeker_id=ana.id) == 3


async def test_nothing_refers_to_the_joined_account_afterwards(world: World) -> None:
    """Every column that names a member names the person once the account joined it."""
    await two_places(world, "samd")
    await join_all(world)
    assert (await world.say("samd", f"/infochat volunteer join {PRIYA_ELSEWHERE}")).ok
    suggestions = (await world.say("samd", GOOD_REQUEST)).messages[0]
    await ask_across(world, "samd", suggestions, "Data engineer at Acme")
    await accept_across(world, "priya", world.last_with_buttons("priya"))
    assert (await link(world, "sam", "samd")).ok
    sam, samd = await person_row(world, "sam"), await person_row(world, "samd")
    refs = [
        (table, fk.parent)
        for table in metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column is members.c.id and fk.parent not in (members.c.person_id, members.c.reach_id)
    ]
    assert len(refs) > 10
    held: set[str] = set()
    async with world.db.transaction() as conn:
        for table, column in refs:
            query = sa.select(sa.func.count()).select_from(table).where(column == samd.id)
            assert (await conn.execute(query)).scalar_one() == 0, column
            query = sa.select(sa.func.count()).select_from(table).where(column == sam.id)
            if (await conn.execute(query)).scalar_one():
                held.add(f"{table.name}.{column.name}")
    assert {
        "requests.seeker_id",
        "introductions.seeker_id",
        "volunteers.member_id",
        "volunteer_keys.member_id",
        "volunteer_loads.member_id",
    } <= held, held


def test_the_code_may_be_given_without_its_name() -> None:
    parsed = parse_text("/infochat link k7qf-2mxh-9trw")
    assert (parsed.action, parsed.args) == ("member.link", {"code": "k7qf-2mxh-9trw"})
    assert parse_text("unlink").action == "member.unlink"
