"""One community across Slack and Discord, through both real adapters in one process: the
moderators link the two places, a Discord seeker is introduced to a Slack volunteer, the
volunteer's contact details reach the seeker only after her Accept, and the ledger and the
weekly digest count their chat once, the same on both places."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

pytest.importorskip("discord")
pytest.importorskip("slack_bolt")

from tests.adapters.discord.payloads import CHANNELS, click
from tests.adapters.discord.session import USERS, fields, reply_buttons
from tests.adapters.slack.clicks import latest_with, seen_by, settle
from tests.adapters.slack.harness import view_of
from tests.adapters.two_platforms import Both
from tests.support import GOOD_REQUEST, VOLUNTEERS

CONTACT = "priya@example.org"
PRIYA = VOLUNTEERS["priya"] + f' windows="Tue 16:00-20:00; Thu 16-20" contact="{CONTACT}"'
SAM = GOOD_REQUEST + ' timezone=America/New_York windows="Tue-Thu 10:00-14:00"'


def on_discord(both: Both) -> str:
    """Everything the bot sent to Discord, as one text."""
    return json.dumps([c.body for c in both.discord.fake.calls], ensure_ascii=False)


def slack_dms(both: Both, user: str) -> str:
    return json.dumps(
        [
            c.params
            for c in both.slack.fake.of("chat.postMessage")
            if c.params.get("channel") == f"D{user}"
        ],
        ensure_ascii=False,
    )


async def slack_press(both: Both, user: str, label: str, **values: str) -> None:
    """`user` presses the latest `label` button in Slack; a modal the answer opens is
    submitted with `values`."""
    message, button = latest_with(seen_by(both.slack, user), label)
    opened = len(both.slack.fake.of("views.open"))
    status, _ = await both.slack.post(
        both.slack.click_body(user, button, message.channel, message.ts, kind="message")
    )
    assert status == 200
    await settle()
    if len(both.slack.fake.of("views.open")) > opened:
        modal = view_of(both.slack.fake.of("views.open")[opened])
        assert values, f"a modal opened: {json.dumps(modal)[:300]}"
        status, body = await both.slack.post(both.slack.submit_body(user, modal, values))
        assert status == 200 and "errors" not in body, body
        await settle()
    await both.worker.drain()


def figures(answer: str) -> dict[str, int]:
    """The ledger's figures in an answer, whatever the platform's blocks around them."""
    labels = ("Chats completed", "Members who gave chats", "Members who received chats")
    found = {label: re.search(re.escape(label) + r"\D*?(\d+)", answer) for label in labels}
    return {label: int(match[1]) for label, match in found.items() if match}


async def test_a_discord_seeker_is_introduced_to_a_slack_volunteer(both: Both) -> None:
    # Each place meets the bot as a community of its own; the moderators link them.
    assert "Thank you for volunteering" in await both.slack_says(
        "UPRIYA", f"volunteer join {PRIYA}"
    )
    await both.discord_says("sam", "help")
    linked = await both.link_places()
    assert "one community" in linked.lower() or "linked" in linked.lower(), linked
    communities = await both.place_communities()
    assert communities["slack"] == communities["discord"]

    # The Discord seeker asks; the Slack volunteer is matched, asked on Slack only.
    reply = await both.discord.slash("sam", "request", fields=fields(SAM))
    assert "Priya" not in json.dumps(reply.body)  # suggested, but not named across places
    choose = next(c for label, c in reply_buttons(reply.body).items() if label.startswith("Let"))
    await both.discord.send(click(USERS["sam"], "sam", choose, in_dm=False))
    await both.worker.drain()
    assert "Accept" in slack_dms(both, "UPRIYA")
    assert "What does a typical week look like" in slack_dms(both, "UPRIYA")

    # Before the Accept nothing about her crosses to Discord.
    for secret in ("Priya", "priya", "UPRIYA", CONTACT):
        assert secret not in on_discord(both), secret

    # Her Accept asks how she'd like to be reached, prefilled from her profile.
    opened = len(both.slack.fake.of("views.open"))
    await slack_press(both, "UPRIYA", "Accept", contact=CONTACT)
    (modal,) = both.slack.fake.of("views.open")[opened:]
    assert CONTACT in json.dumps(modal.params)

    # Each is introduced on their own platform, in the same words; Sam's copy says how to
    # reach her. No group DM on either platform: the two have no place in common.
    sam_dms = json.dumps(both.discord.dms_to("sam"), ensure_ascii=False)
    assert "Introduction" in sam_dms and "Priya" in sam_dms and CONTACT in sam_dms
    assert "Introduction" in slack_dms(both, "UPRIYA")
    assert not [
        c for c in both.slack.fake.of("conversations.open") if "," in str(c.params.get("users"))
    ]
    assert USERS["sam"] not in json.dumps([c.params for c in both.slack.fake.calls])

    # Sam picks a time on Discord; the chat happens; both say so on their own platform.
    await both.discord.press("sam", "Slot 1")
    assert "It's a date" in slack_dms(both, "UPRIYA")
    await both.discord.travel(timedelta(days=3))
    assert "Did your" in slack_dms(both, "UPRIYA")
    await both.discord.press("sam", "Yes")
    await slack_press(both, "UPRIYA", "Yes")

    # The ledger and the digest count the chat once, the same on both places.
    both.discord.moderators.add("mo")
    on_slack = await both.slack_says("UMOD", "mod ledger")
    on_disc = await both.discord_says("mo", "mod", "ledger")
    assert (
        figures(on_slack)
        == figures(on_disc)
        == {
            "Chats completed": 1,
            "Members who gave chats": 1,
            "Members who received chats": 1,
        }
    )

    # The weekly digest goes to each place's digest channel, with the same numbers.
    await both.discord.travel(timedelta(days=7))
    digests = {
        "slack": [
            json.dumps(c.params, ensure_ascii=False)
            for c in both.slack.fake.of("chat.postMessage")
            if "This week in" in json.dumps(c.params)
        ],
        "discord": [
            json.dumps(c.body, ensure_ascii=False)
            for c in both.discord.fake.find("POST", rf"/channels/{CHANNELS['digest']}/messages")
            if "This week in" in json.dumps(c.body)
        ],
    }
    assert len(digests["slack"]) == len(digests["discord"]) == 1, digests
    # (Slack repeats the text as the notification's fallback: the figures, once each.)
    numbers = {
        platform: set(re.findall(r"\d+ chats?\b", texts[0])) for platform, texts in digests.items()
    }
    assert numbers["slack"] == numbers["discord"] == {"1 chat"}, numbers
