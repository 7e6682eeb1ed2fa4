"""Which button a press means: by number or label, on whose message."""

from __future__ import annotations

import pytest

from adapters.console.grammar import GrammarError
from adapters.console.transcript import Transcript
from bot.views import Button, Destination, Message


def _ask(target: str) -> Message:
    return Message(
        text=f"ask {target}",
        buttons=(
            Button(label="Accept", action="ask.accept", target=target),
            Button(label="Not right now", action="ask.not_now", target=target),
            Button(label="Decline", action="ask.decline", target=target),
            Button(label="Suggest a colleague", action="ask.suggest", target=target),
        ),
    )


@pytest.fixture
def transcript() -> Transcript:
    t = Transcript()
    t.add_delivery(Destination(kind="member", user_ids=("priya",)), _ask("1"))  # (1)
    t.add_reply("sam", Message(text="hello"), ok=True)  # (2)
    t.add_delivery(Destination(kind="member", user_ids=("priya",)), _ask("2"))  # (3)
    approval = Message(
        text="approval",
        buttons=(
            Button(label="Approve", action="mod.approve", target="9"),
            Button(label="Deny", action="mod.deny", target="9"),
        ),
    )
    t.add_delivery(Destination(kind="channel", channel="moderators"), approval)  # (4)
    suggestions = Message(
        text="pick",
        buttons=(
            Button(label="Ask Priya", action="request.pick", target="1:1"),
            Button(label="Ask Pat", action="request.pick", target="1:2"),
            Button(label="Let the bot choose", action="request.pick", target="1:auto"),
        ),
    )
    t.add_reply("sam", suggestions, ok=True)  # (5)
    return t


def test_by_label_on_the_latest_message_that_has_it(transcript: Transcript) -> None:
    item, button = transcript.find_button("priya", "Accept", moderator=False)
    assert (item.number, button.target) == (3, "2")


def test_by_number_case_insensitive_label_and_prefix(transcript: Transcript) -> None:
    assert transcript.find_button("priya", "2", moderator=False)[1].action == "ask.not_now"
    assert transcript.find_button("priya", "not RIGHT", moderator=False)[1].action == "ask.not_now"
    assert transcript.find_button("priya", "sugg", moderator=False)[1].action == "ask.suggest"
    assert transcript.find_button("sam", "let the bot", moderator=False)[1].target == "1:auto"


def test_an_exact_label_wins_over_prefixes_and_an_ambiguous_prefix_is_refused(
    transcript: Transcript,
) -> None:
    with pytest.raises(GrammarError, match="Ask Priya, Ask Pat"):
        transcript.find_button("sam", "ask", moderator=False)
    assert transcript.find_button("sam", "ask pat", moderator=False)[1].target == "1:2"


def test_on_a_message_number(transcript: Transcript) -> None:
    item, button = transcript.find_button("priya", "Accept", moderator=False, on="1")
    assert (item.number, button.target) == (1, "1")
    with pytest.raises(GrammarError, match="no message 99"):
        transcript.find_button("priya", "Accept", moderator=False, on="99")
    with pytest.raises(GrammarError, match="no “Approve” button on message 1"):
        transcript.find_button("priya", "Approve", moderator=False, on="1")


def test_someone_elses_private_message_cant_be_pressed(transcript: Transcript) -> None:
    with pytest.raises(GrammarError, match="privately to priya"):
        transcript.find_button("sam", "Accept", moderator=False, on="3")
    with pytest.raises(GrammarError, match="no “Accept” button on sam's messages"):
        transcript.find_button("sam", "Accept", moderator=False)


def test_moderators_see_channel_buttons_others_must_name_the_message(
    transcript: Transcript,
) -> None:
    assert transcript.find_button("mo", "Approve", moderator=True)[0].number == 4
    with pytest.raises(GrammarError):
        transcript.find_button("sam", "Approve", moderator=False)
    # Anyone can press a channel message they name: the core decides who may act.
    assert transcript.find_button("sam", "Approve", moderator=False, on="4")[0].number == 4
    assert (
        transcript.find_button("sam", "Approve", moderator=False, on="#moderators")[0].number == 4
    )


def test_a_number_past_the_buttons_is_not_found(transcript: Transcript) -> None:
    with pytest.raises(GrammarError):
        transcript.find_button("priya", "5", moderator=False)


def test_an_updated_message_has_no_buttons_left(transcript: Transcript) -> None:
    transcript.update(3, Message(text="✅ accepted"))
    item, _ = transcript.find_button("priya", "Accept", moderator=False)
    assert item.number == 1
    updated = transcript.get(3)
    assert updated is not None and updated.updated and updated.sent.buttons
