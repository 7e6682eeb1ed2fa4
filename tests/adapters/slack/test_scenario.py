"""The console scenarios (docs/walkthrough.txt and tests/adapters/console/scenarios/)
replayed through Slack payloads: opt-in, coach, request, moderator approval, accept, the
introduction as a group DM with both members and the .ics invite, follow-up, thanks, the
ledger and the digest; a decline moving on; a colleague suggestion needing its own yes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.adapters.slack.clicks import in_channel, jobs, press, say, seen_by
from tests.adapters.slack.harness import Call, FakeSlack, Slack, running

ALEX = (
    'volunteer join role="Analytics engineer" org=Northwind topics="data engineering, analytics" '
    'timezone=Europe/Lisbon affiliations="Le Wagon" capacity=2 windows="Mon-Fri 18:00-20:00"'
)
WHY = (
    "I'm a backend developer moving toward data pipelines and want to hear how the work "
    "differs day to day"
)
QUESTIONS = (
    'q="What does a typical week look like in your role?" '
    'q="Which skills mattered most when you moved into data engineering?"'
)
REQUEST = f'request topic="data engineering" why="{WHY}" {QUESTIONS}'
PRIYA = (
    'volunteer join role="Data engineer" org=Acme topics="data engineering" timezone=Europe/Berlin'
)
DANA = (
    'volunteer join role="Analytics engineer" org=Northwind '
    'topics="data engineering, analytics" timezone=Europe/Lisbon'
)
VAGUE = 'request topic="data engineering" why="career change" q="Any advice?"'


@pytest.fixture
async def community(tmp_path: Path) -> AsyncIterator[Slack]:
    fake = FakeSlack(moderators={"UMO"})  # mo moderates as a member of #moderators
    async with running(tmp_path, fake, approval_required=True) as world:
        yield world


def said(calls: list[Call]) -> str:
    """What some calls showed, as one text (a field's label and value as `label: value`)."""
    shown = json.dumps([c.params for c in calls], ensure_ascii=False)
    return shown.replace("*\\n", ": ").replace("*", "")


async def test_the_walkthrough_from_opt_in_to_digest(community: Slack) -> None:
    slack = community
    # 1. alex opts in; 2. a vague request is coached and nothing is stored.
    assert "Thank you for volunteering" in said(await say(slack, "UALEX", ALEX))
    await say(slack, "USAM", VAGUE)
    assert await slack.count("requests") == 0
    # 3. the fixed request; 4. sam asks alex (named as Slack shows her, not by handle).
    fixed = f'{REQUEST} affiliations="Le Wagon" timezone=America/New_York windows="Mon-Fri 12-15"'
    assert "Ask Alex" in said(await say(slack, "USAM", fixed))
    await press(slack, "USAM", "Ask alex")
    assert not any("Accept" in m.text for m in seen_by(slack, "UALEX"))  # not before approval
    # 5. Approval: sam can't approve; mo, a member of #moderators, can.
    message, click = await press(slack, "USAM", "Approve", where="C0MODS")
    assert not click.of("chat.update") and "moderator" in said(click.calls).lower()
    message, click = await press(slack, "UMO", "Approve", where="C0MODS")
    assert click.replaced(message)
    # 6. alex accepts: a group DM with both members (and the bot) gets the introduction.
    message, click = await press(slack, "UALEX", "Accept")
    assert click.replaced(message)
    opened = [c.params["users"] for c in slack.fake.of("conversations.open")]
    assert sorted(opened[-1].split(",")) == ["UALEX", "USAM"]
    group = in_channel(slack, "GUSAM-UALEX") or in_channel(slack, "GUALEX-USAM")
    assert "Introduction" in group[0].text and "15 minutes" in group[0].text
    assert "introduced to Alex" in said(await say(slack, "USAM", "status"))
    # 7. sam picks a time: the invite is uploaded into the group DM.
    message, click = await press(slack, "USAM", "Slot 1")
    assert click.replaced(message)
    (complete,) = slack.fake.of("files.completeUploadExternal")
    assert complete.params["channel_id"] == group[0].channel
    assert b"BEGIN:VCALENDAR" in slack.fake.of("upload")[0].raw
    # 8. after the chat: both confirm, sam sends thanks.
    slack.clock.advance(timedelta(days=4))
    await jobs(slack)
    await press(slack, "USAM", "Yes")
    text = "Thank you Alex! Hearing how your week really looks made the move feel possible."
    await press(slack, "USAM", "Send thanks", text=text)
    assert any("A thank-you from Sam" in m.text for m in seen_by(slack, "UALEX"))
    await press(slack, "UALEX", "Yes")
    # 9. the ledger; 10. the digest, previewed by mo, then posted a week later.
    await say(slack, "UALEX", "me recognition=on")
    assert "Chats received: 1" in said(await say(slack, "USAM", "me"))
    assert "Thank you to" in said(await say(slack, "UMO", "mod digest"))
    slack.clock.advance(timedelta(days=7))
    await jobs(slack)
    assert any("Alex" in m.text for m in in_channel(slack, "C0DIGEST"))
    assert await slack.count("introductions") == 1


async def priya_is_asked(slack: Slack) -> None:
    """Priya volunteers, sam asks her, mo approves: Priya has the ask."""
    await say(slack, "UPRIYA", PRIYA)
    await say(slack, "USAM", REQUEST)
    await press(slack, "USAM", "Ask priya")
    await press(slack, "UMO", "Approve", where="C0MODS")


async def test_a_decline_moves_on_and_the_seeker_is_not_told_who(community: Slack) -> None:
    slack = community
    await say(slack, "UDANA", DANA)
    await priya_is_asked(slack)
    message, click = await press(slack, "UPRIYA", "Decline")
    assert click.replaced(message)
    await press(slack, "UMO", "Approve", where="C0MODS")  # the next candidate, dana
    status = said(await say(slack, "USAM", "status"))
    assert "priya" not in status.lower()
    await press(slack, "UDANA", "Accept")
    assert "introduced to Dana" in said(await say(slack, "USAM", "status"))
    assert not any("declin" in m.text.lower() for m in seen_by(slack, "USAM"))


async def test_a_suggested_colleague_must_say_yes_too(community: Slack) -> None:
    slack = community
    await priya_is_asked(slack)
    note = "Lee moved from backend work into data engineering last year."
    colleague = {"type": "users_select", "selected_user": "ULEE"}
    message, click = await press(
        slack, "UPRIYA", "Suggest a colleague", colleague=colleague, note=note
    )
    assert click.replaced(message)
    await press(slack, "UMO", "Approve", where="C0MODS")
    assert await slack.count("introductions") == 0  # not before lee says yes
    ask = [m for m in seen_by(slack, "ULEE") if m.buttons]
    assert ask and note in ask[-1].text
    await press(slack, "ULEE", "Accept")
    assert await slack.count("introductions") == 1
