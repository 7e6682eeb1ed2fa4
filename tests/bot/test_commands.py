import pytest

from bot.commands import arg_list, parse_text
from bot.errors import InvalidInput


def test_subcommands_positional_and_repeated_keys() -> None:
    parsed = parse_text('/infochat request topic="data engineering" q="One?" q="Two?" org=Acme')
    assert parsed.action == "request.create"
    assert parsed.args["topic"] == "data engineering"
    assert arg_list(parsed.args, "questions") == ("One?", "Two?")
    assert parsed.args["organisation"] == "Acme"
    assert parse_text("mod deny 7 reason='too broad'").target == "7"
    assert parse_text("cancel #12").target == "12"
    assert parse_text("volunteer pause 2026-12-01").args == {"until": "2026-12-01"}
    assert parse_text("").action == "help"
    assert parse_text("VOLUNTEER JOIN").action == "volunteer.join"


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("mod", "mod"),
        ("/infochat mod help", "mod"),
        ("volunteer", "volunteer"),
        ("Volunteer Help", "volunteer"),
        ("me help", "me"),
    ],
)
def test_a_group_without_its_subcommand_is_that_groups_help(text: str, group: str) -> None:
    parsed = parse_text(text)
    assert (parsed.action, parsed.target) == ("help", group)


def test_a_group_alone_that_is_a_command_stays_that_command() -> None:
    assert parse_text("me").action == "member.me"


def test_an_unknown_subcommand_of_a_group_points_to_the_groups_help() -> None:
    with pytest.raises(InvalidInput, match=r"/infochat volunteer help"):
        parse_text("volunteer dance")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dance", "don't know the command"),
        ('request topic="open', "quotes"),
        ("cancel 1 2", "didn't understand"),
        ("x" * 9000, "too long"),
    ],
)
def test_bad_commands(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_text(text)
