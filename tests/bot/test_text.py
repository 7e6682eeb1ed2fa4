import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import clean, neutralize
from bot.views import FormField, Message, Reply

ZWSP = "\u200b"
MASS = re.compile(r"@(everyone|here|channel)", re.IGNORECASE)
# Text made mostly of the pieces mentions are built from, so that the properties below
# meet real mention syntax (and near misses) often, not only random characters.
PIECES = st.sampled_from(
    ["@", "<", ">", "!", "&", "^", "|", ZWSP, " ", "_", "X", "1", "U0", "S1", "everyone",
     "EVERYONE", "here", "Here", "channel", "subteam", "@everyone", "<!channel>", "<@&9>"]
)  # fmt: skip
MENTION_TEXT = st.lists(PIECES | PIECES | st.text(max_size=3), max_size=30).map("".join)


def pings(text: str) -> bool:
    """Would a platform read a mass or targeted mention in this text?"""
    return bool(MASS.search(text)) or "<!" in text or "<@" in text


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
        "<!everyone>",
        "<@U123>",
        "<@&987>",
        "@everyoneX",
        "@everyone_team",
        "@here_now",
        "@HereX",
        "x@channel9",
    ):
        assert trigger not in neutralize(f"hi {trigger} there")
    assert neutralize("mail me at a@example.org") == "mail me at a@example.org"


def test_views_neutralize_all_text() -> None:
    message = Message(text="@everyone", title="<!here>")
    assert "@everyone" not in message.text
    assert message.title is not None
    assert "<!here>" not in message.title


@settings(max_examples=500)
@given(MENTION_TEXT)
def test_neutralized_text_never_pings(text: str) -> None:
    assert not pings(neutralize(text))


@given(MENTION_TEXT)
def test_neutralize_only_adds_zero_width_spaces_and_is_idempotent(text: str) -> None:
    out = neutralize(text)
    assert out.replace(ZWSP, "") == text.replace(ZWSP, "")
    assert neutralize(out) == out
    if not pings(text):
        assert out == text


@given(MENTION_TEXT, MENTION_TEXT)
def test_reply_field_errors_are_neutralized_keys_and_all(name: str, problem: str) -> None:
    reply = Reply(ok=False, field_errors={name: problem})
    for key, value in reply.field_errors.items():
        assert not pings(key) and not pings(value)


def test_form_defaults_and_choices_are_neutralized() -> None:
    field = FormField(
        name="topics", label="Topics", default="@here_team", choices=("<!subteam^S1>",)
    )
    assert field.default is not None and not pings(field.default)
    assert not any(pings(choice) for choice in field.choices)
