"""Reading console lines: who acts, slash commands, presses, show words, comments, bad lines."""

from __future__ import annotations

import pytest

from adapters.console.grammar import (
    MAX_LINE,
    GrammarError,
    Meta,
    Press,
    Show,
    Slash,
    is_comment,
    parse_line,
)


def test_a_slash_command_keeps_its_text_for_the_core() -> None:
    line = 'sam /infochat request topic="data engineering" q="What is it like?" q="How?"'
    assert parse_line(line) == Slash(
        "sam", '/infochat request topic="data engineering" q="What is it like?" q="How?"'
    )


def test_member_names_are_case_insensitive_and_may_start_with_at() -> None:
    assert parse_line("Priya /infochat help") == Slash("priya", "/infochat help")
    assert parse_line("@j.doe-2 /infochat help") == Slash("j.doe-2", "/infochat help")
    assert parse_line("ZOË /infochat help") == Slash("zoë", "/infochat help")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("priya press Accept", Press("priya", "Accept")),
        ("priya press 1", Press("priya", "1")),
        ("sam press Let the bot choose", Press("sam", "Let the bot choose")),
        ('priya press "Not right now"', Press("priya", "Not right now")),
        (
            'priya press "Not right now" until=2026-12-01',
            Press("priya", "Not right now", values={"until": "2026-12-01"}),
        ),
        ("mo press Approve on 12", Press("mo", "Approve", on="12")),
        ("mo press 2 on 12", Press("mo", "2", on="12")),
        ("mo press Approve on #Moderators", Press("mo", "Approve", on="#moderators")),
        (
            'mia press Deny reason="Not this month" reason=again',
            Press("mia", "Deny", values={"reason": ("Not this month", "again")}),
        ),
    ],
)
def test_press_lines(line: str, expected: Press) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("show priya", Show("priya")),
        ("show #moderators", Show("#moderators")),
        ("show #Introductions", Show("#introductions")),
        ("members", Meta("members")),
        ("HELP", Meta("help")),
        ("quit", Meta("quit")),
        ("exit", Meta("quit")),
    ],
)
def test_console_words(line: str, expected: object) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize(
    "line", ["", "   ", "# a comment", "#", "#\tindented", "#!/usr/bin/env infochat", "  # note"]
)
def test_blank_lines_and_comments_are_skipped(line: str) -> None:
    assert parse_line(line) is None


def test_a_channel_is_not_a_comment() -> None:
    assert not is_comment("#moderators")
    assert parse_line("show #moderators") == Show("#moderators")
    with pytest.raises(GrammarError, match="show #moderators"):
        parse_line("#moderators")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("sam", "What does sam do"),
        ("sam says hello", "/infochat or press"),
        ("sam /help", "The command is /infochat"),
        ("/infochat help", "Start with the member"),
        ("show /infochat help", "Show what"),
        ("show", "Show what"),
        ("show #", "Name the channel"),
        ("help me", "takes nothing after it"),
        ("quit now", "takes nothing after it"),
        ("members /infochat help", "takes nothing after it"),
        ("sam press", "Press which button"),
        ('sam press "Accept', "check your quotes"),
        ("sam press until=2026-01-01", "Press which button"),
        ("sam press Deny reason=x extra", "Put the button before its values"),
        ("sam press Approve on twelve", "message number or a #channel"),
        ("sam! /infochat help", "can't be a member name"),
        ("s!m /infochat help", "can't be a member name"),
        ("s@ /infochat help", "can't be a place name"),
        ("s@a:b /infochat help", "can't be a place name"),
        ("members @", "can't be a place name"),
        ("show #moderators@ x", "Show what"),
        ("✨ /infochat help", "can't be a member name"),
        ("\u200b /infochat help", "can't be a member name"),
        ("-dash /infochat help", "can't be a member name"),
        (f"{'a' * 41} /infochat help", "can't be a member name"),
        ("x" * (MAX_LINE + 1), "too long"),
    ],
)
def test_bad_lines_say_what_is_wrong(line: str, problem: str) -> None:
    with pytest.raises(GrammarError, match=problem):
        parse_line(line)


@pytest.mark.parametrize("word", ["show", "help", "members", "quit", "exit"])
def test_reserved_words_are_not_member_names(word: str) -> None:
    with pytest.raises(GrammarError):
        parse_line(f"{word} press Accept")
    with pytest.raises(GrammarError, match="console word"):
        parse_line(f"show {word}")
