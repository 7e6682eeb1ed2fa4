"""Every button the core sends, clicked through a signed `block_actions` payload (and its
modal, if it has one). After each click the clicked message is replaced without buttons,
so nobody clicks twice."""

from __future__ import annotations

from datetime import timedelta

from tests.adapters.slack.clicks import jobs, press, say, seen_by, settle
from tests.adapters.slack.harness import Slack
from tests.support import GOOD_REQUEST, VOLUNTEERS

VAGUE = (
    'request topic="data engineering" '
    'why="I would love to pick your brain about data engineering and what you do" '
    'q="What does a typical week look like in your role?" '
    'q="Which skills mattered most when you moved into data engineering?"'
)
PRIYA = VOLUNTEERS["priya"] + ' windows="Tue 18:00-20:00; Thu 18-20"'
SAM = GOOD_REQUEST + ' timezone=America/New_York windows="Tue-Thu 12:00-14:00"'


async def introduce(slack: Slack) -> None:
    """Sam asks Priya, Priya accepts: an introduction with proposed slots in a group DM."""
    await say(slack, "UPRIYA", f"volunteer join {PRIYA}")
    await say(slack, "USAM", SAM)
    await press(slack, "USAM", "Ask priya")
    message, click = await press(slack, "UPRIYA", "Accept")
    assert click.replaced(message)


async def test_send_anyway_and_discard_on_coach_drafts(slack: Slack) -> None:
    await say(slack, "UPRIYA", f"volunteer join {PRIYA}")
    await say(slack, "USAM", VAGUE)
    message, click = await press(slack, "USAM", "Send anyway")
    assert message.ephemeral and click.replaced(message)
    assert any("These volunteers could help" in str(c.params) for c in click.of("response"))
    await say(slack, "USAM", VAGUE.replace("data engineering", "analytics", 1))
    message, click = await press(slack, "USAM", "Discard")
    assert click.replaced(message)
    assert await slack.count("requests") == 2


async def test_let_the_bot_choose(slack: Slack) -> None:
    await say(slack, "UPRIYA", f"volunteer join {PRIYA}")
    await say(slack, "USAM", SAM)
    message, click = await press(slack, "USAM", "Let the bot choose")
    assert click.replaced(message)
    assert any("Accept" in m.text for m in seen_by(slack, "UPRIYA"))


async def test_not_right_now_asks_for_a_date_and_decline_moves_on(slack: Slack) -> None:
    await say(slack, "UPRIYA", f"volunteer join {PRIYA}")
    await say(slack, "UCHEN", f"volunteer join {VOLUNTEERS['chen']}")
    await say(slack, "USAM", SAM)
    await press(slack, "USAM", "Ask priya")
    until = {"until": {"type": "datepicker", "selected_date": "2026-02-01"}}
    message, click = await press(slack, "UPRIYA", "Not right now", **until)
    assert click.replaced(message) and "2026-02-01" in click.of("chat.update")[0].params["text"]
    message, click = await press(slack, "UCHEN", "Decline")
    assert click.replaced(message)
    assert "Priya" not in "".join(m.text for m in seen_by(slack, "USAM")[1:])


async def test_slot_pick_uploads_the_invite_to_the_group_dm(slack: Slack) -> None:
    await introduce(slack)
    message, click = await press(slack, "USAM", "Slot 1")
    assert message.channel in ("GUSAM-UPRIYA", "GUPRIYA-USAM")
    assert click.replaced(message)
    (complete,) = slack.fake.of("files.completeUploadExternal")
    assert complete.params["channel_id"] == message.channel
    (upload,) = slack.fake.of("upload")
    assert b"BEGIN:VCALENDAR" in upload.raw


async def test_none_of_these_fit(slack: Slack) -> None:
    await introduce(slack)
    message, click = await press(slack, "UPRIYA", "None of these fit")
    assert click.replaced(message)


async def test_follow_up_yes_not_yet_didnt_happen_and_thanks(slack: Slack) -> None:
    await introduce(slack)
    slack.clock.advance(timedelta(days=4))
    assert await jobs(slack) >= 1
    message, click = await press(slack, "USAM", "Not yet")
    assert click.replaced(message)
    message, click = await press(slack, "UPRIYA", "It didn't happen")
    assert click.replaced(message)
    slack.clock.advance(timedelta(days=4))
    await jobs(slack)
    message, click = await press(slack, "USAM", "Yes")
    assert click.replaced(message)
    thanks = {"text": "Thank you Priya! The week you described made the move feel possible."}
    message, click = await press(slack, "USAM", "Send thanks", **thanks)
    assert click.status == 200 and click.body == ""
    assert any("made the move" in m.text for m in seen_by(slack, "UPRIYA"))


async def test_delete_my_data_after_confirming(slack: Slack) -> None:
    await say(slack, "UPRIYA", f"volunteer join {PRIYA}")
    await say(slack, "UPRIYA", "me delete")
    message, click = await press(slack, "UPRIYA", "Delete my data")
    assert message.ephemeral and click.replaced(message)
    assert await slack.count("volunteers") == 0


async def test_a_button_from_someone_else_changes_nothing(slack: Slack) -> None:
    await say(slack, "UPRIYA", f"volunteer join {PRIYA}")
    await say(slack, "USAM", SAM)
    await press(slack, "USAM", "Ask priya")
    ask, accept = next(
        (m, b) for m in seen_by(slack, "UPRIYA") for b in m.buttons if b["text"]["text"] == "Accept"
    )
    status, _ = await slack.post(slack.click_body("UBOB", accept, ask.channel, ask.ts))
    assert status == 200
    await settle()
    assert not slack.fake.of("chat.update")  # the ask stays answerable by Priya
    assert await slack.count("introductions") == 0
    forged = {**accept, "value": "ask.accept:999999"}
    await slack.post(slack.click_body("UPRIYA", forged, ask.channel, ask.ts))
    await settle()
    assert await slack.count("introductions") == 0
