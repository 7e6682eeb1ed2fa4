"""Several console places in one session: members act on a named place, each place starts as
a community of its own, and output says where everything went once more than one is in play."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from adapters.console.grammar import GrammarError, Meta, Press, Show, Slash, parse_line
from adapters.console.render import render
from adapters.console.transcript import Transcript
from adapters.console.transport import ConsoleTransport
from bot.commands import Command, CommunityRef
from bot.storage.schema import members, places
from bot.views import Button, Destination, Line, Message, Reply
from tests.adapters.console.conftest import MakeConsole

CAMPUS = CommunityRef("console", "campus", "campus")


def test_a_member_or_channel_may_name_its_place() -> None:
    assert parse_line("Dana@Campus /infochat help") == Slash("dana@campus", "/infochat help")
    assert parse_line("@dana@campus press 2 on #moderators@campus") == Press(
        "dana@campus", "2", "#moderators@campus"
    )
    assert parse_line("show dana@campus") == Show("dana@campus")
    assert parse_line("show #Moderators@Campus") == Show("#moderators@campus")
    assert parse_line("members @campus") == Meta("members", "campus")
    assert parse_line("members") == Meta("members")


@pytest.mark.parametrize(
    "line",
    ["dana@ /infochat help", "dana@cam pus", "dana@-x /infochat help", "members @campus x"],
)
def test_a_bad_place_is_a_bad_line(line: str) -> None:
    with pytest.raises(GrammarError):
        parse_line(line)


async def test_each_console_place_starts_as_a_community_of_its_own(
    make_console: MakeConsole,
) -> None:
    console = await make_console(strict=True)
    assert await console.play("sam /infochat help\ndana@campus /infochat help") == 0, console.text

    db = console.session.app.db
    async with db.engine.connect() as conn:
        rows = (await conn.execute(sa.select(places.c.external_id, places.c.community_id))).all()
        accounts = (await conn.execute(sa.select(members.c.user_id, members.c.place_id))).all()
    by_place: dict[str, int] = {row.external_id: row.community_id for row in rows}
    assert set(by_place) == {"test", "campus"}
    assert by_place["test"] != by_place["campus"]
    assert sorted(user for user, _ in accounts) == ["dana", "sam"]
    # Each place's people who set the bot up got its checklist, once, on that place.
    admins = [m for m in console.session.transcript.messages if m.kind == "admins"]
    assert {m.place for m in admins} == {"test", "campus"}
    assert "[to admins@campus] Setup checklist for campus" in console.text


async def test_labels_name_the_place_once_more_than_one_is_in_play(
    make_console: MakeConsole,
) -> None:
    console = await make_console(strict=True)
    assert await console.play("sam /infochat help") == 0
    assert "(1) [to sam] " in console.text  # one place: labels as they always were
    assert await console.play("dana@campus /infochat help\nsam /infochat status") == 0
    assert "[to dana@campus] " in console.text
    assert "[to admins@campus] " in console.text
    assert "[to sam@test] " in console.text  # the default place is named too now


async def test_show_and_members_work_per_place(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)
    script = "\n".join(
        [
            "dana /infochat help",
            "dana@campus /infochat status",
            "lee@campus /infochat help",
            "dana@test /infochat me",  # the default place by its name: the same dana
        ]
    )
    assert await console.play(script) == 0, console.text
    on_campus = console.session.transcript.private_to("dana@campus")
    at_home = console.session.transcript.private_to("dana")
    assert {m.place for m in on_campus} == {"campus"} and len(on_campus) == 1
    assert {m.place for m in at_home} == {"test"} and len(at_home) == 2

    console.output.clear()
    assert await console.play("members @campus") == 0
    assert console.text.endswith("Members so far on campus:\n  dana@campus\n  lee@campus")
    console.output.clear()
    assert await console.play("members\nmembers @nowhere") == 0
    assert "  dana@test\n  dana@campus\n  lee@campus" in console.text
    assert "No members on nowhere yet" in console.text
    console.output.clear()
    assert await console.play("show dana@campus") == 0
    assert "[to dana@campus]" in console.text and "@test" not in console.text


async def test_a_moderator_is_a_moderator_of_their_own_place_only(
    make_console: MakeConsole,
) -> None:
    console = await make_console(moderators=("mo", "kim@campus", "lee@test"))
    script = "\n".join(
        [
            "kim@campus /infochat mod queue",
            "kim /infochat mod queue",
            "mo@campus /infochat mod queue",
            "lee /infochat mod queue",
        ]
    )
    await console.play(script)
    assert console.refused() == ["kim /infochat mod queue", "mo@campus /infochat mod queue"]
    assert console.session.moderators == {"mo", "kim@campus", "lee"}


async def test_channels_are_per_place_and_pressed_only_by_that_places_moderators() -> None:
    output: list[str] = []
    transcript = Transcript("test")
    transport = ConsoleTransport(transcript, output.append)
    approve = Message(text="An ask waits", buttons=(Button(label="Approve", action="mod.approve"),))
    channel = Destination(kind="channel", channel="moderators")
    await transport.deliver(CAMPUS, channel, approve, 1)
    await transport.deliver(
        CommunityRef("console", "test", "test"), channel, Message(text="At home"), 2
    )
    await transport.deliver(CAMPUS, Destination(kind="member", user_ids=("dana",)), approve, 3)

    assert [m.channel for m in transcript.in_channel("moderators@campus")] == ["moderators@campus"]
    assert [m.message.text for m in transcript.in_channel("moderators")] == ["At home"]
    assert output[0].startswith("(1) [#moderators@campus] An ask waits")
    assert output[1].startswith("(2) [#moderators@test] At home")
    assert output[2].startswith("(3) [dm → dana@campus]")
    assert render(transcript.messages[0]).startswith("(1) [#moderators@campus]")

    item, _ = transcript.find_button(
        "kim@campus", "Approve", moderator=True, on="#moderators@campus"
    )
    assert item.number == 1
    with pytest.raises(GrammarError, match="is on the place “campus”"):
        transcript.find_button("mo", "Approve", moderator=True, on="#moderators@campus")
    with pytest.raises(GrammarError):  # mo's place has no such button in its channels
        transcript.find_button("mo", "Approve", moderator=True)
    with pytest.raises(GrammarError):  # dana at home is not dana@campus
        transcript.find_button("dana", "Approve", moderator=False)
    item, _ = transcript.find_button("dana@campus", "Approve", moderator=False)
    assert item.number == 3


async def test_code_in_a_line_stands_for_the_link_code_shown_last(
    make_console: MakeConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = await make_console()
    session = console.session
    await console.play("kim@campus /infochat link code={code}")
    assert "No link code has been shown yet" in console.text

    older = Message(text="Your code is AAAA-BBBB-CCCC.")
    shown = Message(
        text="Enter it on the other place", lines=(Line(label="Code", value="K7QF-2MXH-9TRW"),)
    )
    session.transcript.add_reply("mo", older, ok=True)
    session.transcript.add_reply("mo", shown, ok=True)
    session.transcript.add_reply(
        "mo", Message(text="not a code: K7QF-2MXH-9TRWX, k7qf-2mxh-9trw"), ok=True
    )
    assert session.transcript.last_code() == "K7QF-2MXH-9TRW"

    seen: list[Command] = []
    dispatch = session.app.dispatch

    async def recording(command: Command) -> Reply:
        seen.append(command)
        return await dispatch(command)

    monkeypatch.setattr(session.app, "dispatch", recording)
    await console.play("kim@campus /infochat me recognition={code}\n# {code} in a comment")
    (command,) = seen  # (refused by the core: recognition is on or off)
    assert command.args == {"recognition": "K7QF-2MXH-9TRW"}
    assert command.actor.community == CAMPUS and command.actor.user_id == "kim"
