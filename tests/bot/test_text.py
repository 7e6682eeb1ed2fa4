from bot.text import clean, neutralize
from bot.views import Message


def test_clean_removes_control_and_invisible_characters() -> None:
    assert clean("  a\u0000b\u200e c\t\n d ") == "ab c d"
    assert (
        clean("line one\r\nline two\n\n\n\nthree", multiline=True) == "line one\nline two\n\nthree"
    )
    assert clean("e\u0301") == "é"  # NFC


def test_neutralize_defuses_every_mass_and_targeted_mention() -> None:
    for trigger in (
        "@everyone",
        "@here",
        "@channel",
        "<!channel>",
        "<!here>",
        "<!subteam^S1>",
        "<@U123>",
        "<@&987>",
    ):
        assert trigger not in neutralize(f"hi {trigger} there")
    assert neutralize("mail me at a@example.org") == "mail me at a@example.org"


def test_views_neutralize_all_text() -> None:
    message = Message(text="@everyone", title="<!here>")
    assert "@everyone" not in message.text
    assert message.title is not None
    assert "<!here>" not in message.title
