"""Every command the README shows exists as written: the console and Slack grammar
(`bot.commands`, and the fields each action takes), and Discord's registered command tree."""

from __future__ import annotations

import re
from pathlib import Path

from discord import app_commands  # noqa: TID251 - reads the registered command tree

from adapters.discord.commands import build_group, build_mod_group
from bot.commands import parse_text
from bot.services.arguments import ACCEPTED

README = Path(__file__).resolve().parents[2] / "README.md"
_SPAN = re.compile(r"`([^`\n]+)`")
_CELL = re.compile(r"(?<!\\)\|")
_OPTION = re.compile(r"^([a-z][a-z_-]*):")
_MEMBER = re.compile(r"^[a-z][a-z0-9_.-]* (?=/infochat)")


def readme_commands() -> list[tuple[str, bool]]:
    """Each `/infochat …` code span in the README, and whether it is Discord's syntax (in the
    Discord section, in a table's Discord column, `/infochat-mod`, or with `name:` options)."""
    found: list[tuple[str, bool]] = []
    section, discord_column = "", None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section, discord_column = line[3:].strip(), None
        cells = _CELL.split(line) if line.startswith("|") else [line]
        if len(cells) > 1 and "Discord" in [c.strip() for c in cells]:
            discord_column = [c.strip() for c in cells].index("Discord")
        for index, cell in enumerate(cells):
            for span in _SPAN.findall(cell.replace("\\|", "|")):
                span = _MEMBER.sub("", span.strip())
                words = span.split()
                if not words or words[0] not in ("/infochat", "/infochat-mod"):
                    continue
                if len(words) > 1 and (words[1].startswith("<") or words[1] == "…"):
                    continue  # the grammar itself (`/infochat <command> key=value …`)
                discord = (
                    section == "Discord"
                    or index == discord_column
                    or words[0] == "/infochat-mod"
                    or any(_OPTION.match(w) for w in words[1:])
                )
                found.append((span, discord))
    return found


def test_the_readme_shows_commands_of_both_kinds() -> None:
    commands = readme_commands()
    assert len([c for c, discord in commands if discord]) >= 20
    assert len([c for c, discord in commands if not discord]) >= 25


def test_every_console_and_slack_command_in_the_readme_parses_with_its_fields() -> None:
    for span, discord in readme_commands():
        if discord:
            continue
        parsed = parse_text(span.replace("{code}", "K7QF-2MXH-9TRW"))  # raises if unknown
        accepted = ACCEPTED[parsed.action]
        assert accepted is None or set(parsed.args) <= accepted, (span, set(parsed.args))


def test_every_discord_command_in_the_readme_is_registered_with_its_options() -> None:
    roots = {"/infochat": build_group(), "/infochat-mod": build_mod_group()}
    for span, discord in readme_commands():
        if not discord:
            continue
        words = span.split()
        node: app_commands.Group | app_commands.Command[..., ..., ...] = roots[words[0]]
        rest = words[1:]
        while rest and not _OPTION.match(rest[0]) and isinstance(node, app_commands.Group):
            child = node.get_command(rest[0])
            assert child is not None, f"README shows {span}: Discord has no “{rest[0]}” there"
            node, rest = child, rest[1:]
        if not rest and isinstance(node, app_commands.Group):
            assert node.parent is None, f"README shows {span}: a group, not a command"
            continue
        assert isinstance(node, app_commands.Command), span
        options = {p.name for p in node.parameters}
        for word in rest:
            match = _OPTION.match(word)
            if match:
                assert match.group(1) in options, f"README shows {span}: no option “{word}”"
