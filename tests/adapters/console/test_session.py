"""A console session: prompts fill forms, bad lines are reported, nothing crashes it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.console.lines import ScriptSource
from adapters.console.prompts import FormCancelled, fill_form
from adapters.console.render import safe
from bot.commands import Command
from bot.views import Form, FormField, Reply
from tests.adapters.console.conftest import MakeConsole

JOIN = (
    'priya /infochat volunteer join role="Data engineer" org=Acme topics="data engineering" '
    "timezone=Europe/Berlin"
)
WHY = "I am a backend developer moving toward data pipelines and want to hear how the work differs"
REQUEST = (
    f'sam /infochat request topic="data engineering" why="{WHY}" '
    'q="What does a typical week look like in your role?" '
    'q="Which skills mattered most when you moved into data engineering?"'
)


async def test_a_form_returned_by_a_command_is_filled_by_prompts(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)
    script = "\n".join(
        [
            JOIN,
            "sam /infochat request",
            "data engineering",  # topic
            WHY,  # why
            "What does a typical week look like in your role?",  # questions, one per line…
            "Which skills mattered most when you moved into data engineering?",
            "",  # …until an empty line
            "20",  # minutes
            "",  # format: the default (video)
            "",  # within: the default
            "",  # role
            "",  # organisation
            "@Priya",  # a specific volunteer, named as members are
            "",  # affiliations
            "America/New_York",  # time zone
            "",  # weekly windows
            "priya press Accept",
        ]
    )
    assert await console.play(script) == 0, console.text
    (ask,) = [m for m in console.private("priya") if m.kind == "dm"]
    assert "20-minute video chat" in ask.sent.text
    assert "Which skills mattered most" in "\n".join(line.value for line in ask.sent.lines)
    assert [m.members for m in console.groups()] == [("sam", "priya")]
    assert "What field or work are you curious about?" in console.text  # the prompts are shown


async def test_a_button_form_is_prompted_and_an_empty_line_keeps_the_default(
    make_console: MakeConsole,
) -> None:
    console = await make_console(strict=True)
    script = f'{JOIN}\n{REQUEST}\nsam press Ask Priya\npriya press "Not right now"\n\n'
    assert await console.play(script) == 0, console.text
    (reply,) = console.during('priya press "Not right now"', "priya")
    assert "until 2026-01-19" in reply.message.text  # two weeks from the clock's 2026-01-05


async def test_a_mistyped_field_on_a_pressed_button_is_refused(make_console: MakeConsole) -> None:
    console = await make_console()
    script = (
        f'{JOIN}\n{REQUEST}\nsam press Ask Priya\npriya press "Not right now" untill=2026-03-01'
    )
    await console.play(script)
    assert console.refused() == ['priya press "Not right now" untill=2026-03-01']
    (reply,) = console.during('priya press "Not right now"', "priya")
    assert not reply.ok and "I don't know the field “untill”" in reply.message.text
    ask = next(m for m in console.private("priya") if m.kind == "dm")
    assert ask.message.buttons  # still waiting for priya's answer


async def test_cancel_drops_a_form_and_the_script_goes_on(make_console: MakeConsole) -> None:
    console = await make_console()
    script = (
        f"{JOIN}\n{REQUEST}\nsam press Ask Priya\npriya press Suggest\n/cancel\npriya press Accept"
    )
    assert await console.play(script) == 0
    assert console.refused() == ["priya press Suggest"]
    assert "Form cancelled; nothing was sent." in console.text
    assert [m.members for m in console.groups()] == [("sam", "priya")]


async def test_the_end_of_the_input_inside_a_form_sends_nothing(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)
    assert await console.play(f"{JOIN}\n{REQUEST}\nsam press Ask Priya\npriya press Suggest") == 1
    assert "The input ended before the form was complete" in console.text
    assert not [
        m for m in console.private("priya") if m.kind == "reply" and "suggested" in m.message.text
    ]


def test_fill_form_defaults_multiple_values_and_members() -> None:
    form = Form(
        title="T",
        action="x",
        fields=(
            FormField(name="who", label="Who", kind="member"),
            FormField(name="n", label="N", default="15", required=False),
            FormField(name="qs", label="Questions", multiple=True),
            FormField(name="skip", label="Skip", required=False),
        ),
    )
    shown: list[str] = []
    values = fill_form(
        form, "sam", ScriptSource(["@Dana", "", "one?", "two?", "", ""], shown.append), shown.append
    )
    assert values == {"who": "dana", "n": "15", "qs": ("one?", "two?")}
    assert any("(default: 15)" in line for line in shown)
    with pytest.raises(FormCancelled):
        fill_form(form, "sam", ScriptSource(["dana"], shown.append), shown.append)


async def test_bad_lines_are_reported_and_the_script_goes_on(make_console: MakeConsole) -> None:
    console = await make_console()
    script = "\n".join(
        [
            "sam says hi",
            "sam /infochat frobnicate",
            'sam /infochat request topic="unclosed',
            "sam press Accept",
            "show",
            JOIN,
        ]
    )
    assert await console.play(script) == 0
    assert console.refused() == script.splitlines()[:5]
    assert "I don't know the command “frobnicate”" in console.text
    assert "check your quotes" in console.text
    assert "Thank you for volunteering!" in console.text


async def test_strict_mode_stops_at_the_first_bad_line_or_refusal(
    make_console: MakeConsole,
) -> None:
    console = await make_console(strict=True)
    assert await console.play(f"sam /infochat volunteer show\n{JOIN}") == 1
    assert "stopped at line 1 (--strict)" in console.text
    assert "Thank you for volunteering!" not in console.text

    console = await make_console(strict=True)
    assert await console.play(f"sam says hi\n{JOIN}") == 1


async def test_console_words(make_console: MakeConsole) -> None:
    console = await make_console()
    script = f"members\n{JOIN}\nhelp\nmembers\nshow priya\nshow #digest\nquit\n{REQUEST}"
    assert await console.play(script) == 0
    text = console.text
    assert "No members yet" in text
    assert "Each line names the member who acts" in text
    assert "#! refused" in text  # how a script expects a refusal
    assert "  priya" in text and "  mo · moderator" not in text
    assert "Nothing in #digest yet." in text
    assert "Request #1" not in text  # nothing after quit runs
    assert console.session.outcomes[-1].text == "quit"


async def test_unicode_control_characters_and_huge_input_dont_crash_it(
    make_console: MakeConsole,
) -> None:
    console = await make_console()
    script = "\n".join(
        [
            'zoë /infochat volunteer join role="Ingénieure 数据" org="Café ☕" topics="données, 🚀" timezone=Europe/Paris',
            'sam /infochat request topic="\x1b[31mred\x1b[0m" why="\x00\x07 @everyone" q=\'\u202eevil\'',
            "sam /infochat request " + "x" * 20_000,
            f'sam /infochat request topic="data" why="{"y" * 7000}" q="a?" q="b?"',
            "sam press \x1b[2J",
            "\x00\x01",
            "show #" + "z" * 500,
            "\u200b /infochat help",
        ]
    )
    assert await console.play(script) == 0
    assert "\x1b" not in console.text and "\x00" not in console.text
    assert "Thank you for volunteering!" in console.text
    assert "Something went wrong" not in console.text
    assert len(console.session.outcomes) == 8


async def test_an_unexpected_error_is_reported_and_the_session_goes_on(
    make_console: MakeConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = await make_console()
    real = console.session.app.dispatch
    calls = 0

    async def flaky(command: Command) -> Reply:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return await real(command)

    monkeypatch.setattr(console.session.app, "dispatch", flaky)
    assert await console.play(f"sam /infochat help\n{JOIN}") == 0
    assert "Something went wrong with that line" in console.text
    assert "boom" not in console.text
    assert "Thank you for volunteering!" in console.text


async def test_every_command_gets_a_fresh_key_and_moderators_are_flagged(
    make_console: MakeConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = await make_console(moderators=("mo",))
    real = console.session.app.dispatch
    seen: list[Command] = []

    async def spy(command: Command) -> Any:
        seen.append(command)
        return await real(command)

    monkeypatch.setattr(console.session.app, "dispatch", spy)
    await console.play("sam /infochat status\nsam /infochat status\nmo /infochat mod queue")
    assert len({c.key for c in seen}) == 3
    assert [c.actor.is_moderator for c in seen] == [False, False, True]
    assert seen[0].actor.display_name == "Sam"
    assert console.refused() == []


def test_safe_makes_control_characters_visible() -> None:
    assert safe("a\x1b[0mb\nc\td") == "a\\x1b[0mb\nc    d"
    assert safe("\u202e") == "\\u202e"


async def test_a_stale_button_shows_what_its_message_says_now(make_console: MakeConsole) -> None:
    console = await make_console()
    await console.play("\n".join([JOIN, REQUEST, "sam press Ask", "sam /infochat cancel 1"]))
    (ask,) = [m for m in console.private("priya") if m.message.buttons]
    await console.play("priya press Accept")
    assert console.refused()[-1] == "priya press Accept"
    after = console.session.transcript.get(ask.number)
    assert after is not None and not after.message.buttons
    assert after.message.text == "This ask was withdrawn; nothing is needed from you."
    assert f"({ask.number}) is now: This ask was withdrawn" in console.text


async def test_two_moderators_pressing_approve_at_once_leave_who_approved(
    make_console: MakeConsole,
) -> None:
    console = await make_console()
    await console.play("\n".join(["mo /infochat mod settings approval_required=true", JOIN]))
    await console.play("\n".join([REQUEST, "sam press Ask"]))
    (approval,) = [m for m in console.channel("moderators") if m.message.buttons]
    await asyncio.gather(
        console.play("mo press Approve on #moderators"),
        console.play("mia press Approve on #moderators"),
    )
    assert len(console.refused()) == 1  # one of them lost
    after = console.session.transcript.get(approval.number)
    assert after is not None and not after.message.buttons
    assert "approved by" in after.message.text
    updates = [line for line in console.output if line.startswith(f"({approval.number}) is now")]
    assert len(updates) == 2 and all("approved by" in line for line in updates)


async def test_a_double_accept_leaves_the_acceptance(make_console: MakeConsole) -> None:
    console = await make_console()
    await console.play("\n".join([JOIN, REQUEST, "sam press Ask"]))
    (ask,) = [m for m in console.private("priya") if m.message.buttons]
    await asyncio.gather(console.play("priya press Accept"), console.play("priya press Accept"))
    assert console.refused() == ["priya press Accept"]
    after = console.session.transcript.get(ask.number)
    assert after is not None
    assert after.message.text == "✅ You accepted Sam's request about data engineering."
    assert len(console.groups()) == 1


async def test_a_form_a_button_answers_with_is_filled_by_prompts(
    make_console: MakeConsole,
) -> None:
    """A click whose command answers with a form (Edit profile on the home page; an Accept
    across places) opens it: the prompts fill it and it is sent as that command."""
    console = await make_console(strict=True)
    keep = [""] * 6 + [""] + [""] * 3  # role … languages, formats (none: kept), minutes … windows
    script = "\n".join(
        [JOIN, "priya /infochat home", 'priya press "Edit profile"', *keep, "priya@example.org"]
    )
    assert await console.play(script) == 0, console.text
    assert "How to reach me after an intro" in console.text  # the form's last prompt
    assert "Profile updated" in console.text
    assert await console.play("priya /infochat volunteer show") == 0
    assert "priya@example.org" in console.text.split("Your volunteer profile")[-1]
