"""Script lines: comments anywhere, a byte-order mark, and lines that expect a refusal."""

from __future__ import annotations

import pytest

from adapters.console.grammar import expects_refusal
from adapters.console.lines import ScriptSource
from adapters.console.render import safe
from adapters.console.runner import ConsoleSetupError, moderator_names
from bot.text import neutralize
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
VAGUE = 'sam /infochat request topic="data engineering" why="career change" q="Any advice?"'


async def test_a_comment_inside_a_form_is_skipped_not_read_as_a_value(
    make_console: MakeConsole,
) -> None:
    console = await make_console(strict=True)
    script = "\n".join(
        [
            JOIN,
            REQUEST,
            "sam press Ask Priya",
            "priya press Suggest",
            "# who could help instead:",
            "dana",
            "#! and a note for them:",
            "Dana moved from backend work too.",
        ]
    )
    assert await console.play(script) == 0, console.text
    (ask,) = [m for m in console.private("dana") if m.kind == "dm" and m.sent.buttons]
    notes = [line.value for line in ask.sent.lines if line.label.startswith("Note")]
    assert notes == ["Dana moved from backend work too."]
    assert "# who could help instead:" in console.output  # echoed as a comment


def test_a_byte_order_mark_before_the_first_line_is_dropped() -> None:
    shown: list[str] = []
    source = ScriptSource(["\ufeffsam /infochat help\n", "\ufeffx\n"], shown.append)
    assert source.read("> ", command=True) == "sam /infochat help"
    assert source.read("> ", command=True) == "\ufeffx"  # only at the very start of a script


async def test_a_script_with_a_byte_order_mark_plays_its_first_line(
    make_console: MakeConsole,
) -> None:
    console = await make_console(strict=True)
    assert await console.play("\ufeff" + JOIN) == 0, console.text
    assert "Thank you for volunteering!" in console.text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"{VAGUE}  #! refused", (VAGUE, True)),
        (f"{VAGUE} #!refused", (VAGUE, True)),
        (VAGUE, (VAGUE, False)),
        ('sam press Deny reason="#! refused"', ('sam press Deny reason="#! refused"', False)),
    ],
)
def test_a_trailing_refused_marker_expects_a_refusal(line: str, expected: tuple[str, bool]) -> None:
    assert expects_refusal(line) == expected


async def test_strict_accepts_an_expected_refusal_and_stops_at_an_unexpected_acceptance(
    make_console: MakeConsole,
) -> None:
    console = await make_console(strict=True)
    assert await console.play(f"{JOIN}\n{VAGUE}  #! refused\n{REQUEST}") == 0, console.text
    assert "[to sam · refused]" in console.text
    assert console.refused() == []
    assert "Request #1" in console.text  # the script went on

    console = await make_console(strict=True)
    assert await console.play(f"{JOIN}  #! refused\n{REQUEST}") == 1
    assert "expected a refusal" in console.text
    assert "stopped at line 1 (--strict)" in console.text

    console = await make_console(strict=True)  # a bad line is not a refusal by the bot
    assert await console.play("sam says hi  #! refused") == 1


def test_moderators_are_named_like_members_and_anything_else_is_refused() -> None:
    assert moderator_names(("@Mo", " mia ")) == frozenset({"mo", "mia"})
    for bad in ("@", "#moderators", "mo mia", "help"):
        with pytest.raises(ConsoleSetupError, match="--moderators"):
            moderator_names((bad,))


def test_a_defused_mention_prints_as_a_member_sees_it() -> None:
    assert safe(neutralize("hi @everyone and @here")) == "hi @everyone and @here"
    assert safe("\u202eevil\x1b[2J") == "\\u202eevil\\x1b[2J"  # still visible escapes
