"""What a losing or repeated click shows in Slack: a click that lost the race replaces the
message with what it says now (the winner's outcome), never with the copy in its own
payload; a retried click (the same action, delivered again) repeats nothing visible."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.slack.clicks import settle
from tests.adapters.slack.harness import Call, FakeSlack, Slack, running
from tests.adapters.slack.test_buttons import ask_priya, buttons_of, labelled
from tests.adapters.slack.test_moderation import approval


@pytest.fixture
async def approving(tmp_path: Path) -> AsyncIterator[Slack]:
    fake = FakeSlack(admins={"UMOD", "UMAX"})
    async with running(tmp_path, fake, approval_required=True) as world:
        yield world


def as_sent(call: Call) -> dict[str, Any]:
    """The message as Slack sends it along with a click on it (text and blocks)."""
    blocks = call.params["blocks"]
    return {
        "text": call.params["text"],
        "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
    }


def updates_of(slack: Slack, ts: str) -> list[Call]:
    return [c for c in slack.fake.of("chat.update") if c.params["ts"] == ts]


async def test_two_moderators_approving_at_once_leave_who_approved(approving: Slack) -> None:
    slack = approving
    message = await approval(slack)
    approve = labelled(message, "Approve")
    copy = as_sent(message)
    await asyncio.gather(
        *(
            slack.post(slack.click_body(user, approve, "C0MODS", "5.5", message=copy))
            for user in ("UMOD", "UMAX")
        )
    )
    await slack.fake.wait_for("chat.update", count=2)
    await settle()
    updates = updates_of(slack, "5.5")
    assert len(updates) == 2
    # Whichever update Slack applies last, the message says who approved, with no buttons.
    assert len({c.params["text"] for c in updates}) == 1
    assert "approved by" in updates[-1].params["text"]
    assert "Approval needed" not in json.dumps([c.params for c in updates])
    assert not any(buttons_of(c) for c in updates)
    assert await slack.count("audit_log") == 1


async def test_a_double_accept_leaves_the_acceptance(slack: Slack) -> None:
    ask = await ask_priya(slack)
    accept = labelled(ask, "Accept")
    copy = as_sent(ask)
    await asyncio.gather(
        *(
            slack.post(slack.click_body("UPRIYA", accept, "DUPRIYA", "9.9", message=copy))
            for _ in range(2)
        )
    )
    await slack.fake.wait_for("chat.update", count=2)
    await settle()
    updates = updates_of(slack, "9.9")
    assert [c.params["text"] for c in updates] == [
        "✅ You accepted Sam's request about data engineering."
    ] * 2
    assert await slack.count("introductions") == 1


async def test_a_retried_click_repeats_nothing_visible(slack: Slack) -> None:
    ask = await ask_priya(slack)
    click = slack.click_body("UPRIYA", labelled(ask, "Accept"), "DUPRIYA", "9.9")
    await slack.post(click)
    await slack.fake.wait_for("chat.update")
    await settle()
    await slack.worker.drain()
    before = len(slack.fake.calls)
    status, _ = await slack.post(click)  # the same action (same action_ts), again
    assert status == 200
    await settle()
    await slack.worker.drain()
    assert [c.method for c in slack.fake.calls[before:]] == []
    assert await slack.count("introductions") == 1


async def test_a_deny_form_sent_after_an_approval_closes_and_shows_the_approval(
    approving: Slack,
) -> None:
    slack = approving
    message = await approval(slack)
    await slack.post(slack.click_body("UMAX", labelled(message, "Deny"), "C0MODS", "5.5"))
    (opened,) = await slack.fake.wait_for("views.open")
    await slack.post(slack.click_body("UMOD", labelled(message, "Approve"), "C0MODS", "5.5"))
    await slack.fake.wait_for("chat.update")
    await settle()
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    status, body = await slack.post(slack.submit_body("UMAX", view, {"reason": "Too broad"}))
    assert status == 200 and body == ""  # the form closes: there is nothing to fix in it
    updates = await slack.fake.wait_for("chat.update", count=2)
    assert [c.params["ts"] for c in updates] == ["5.5", "5.5"]
    assert updates[0].params["text"] == updates[1].params["text"]
    assert "approved by" in updates[1].params["text"]
    await settle()
    told = [c for c in slack.fake.of("chat.postMessage") if c.params["channel"] == "UMAX"]
    assert any("already handled" in str(c.params["text"]) for c in told)
    assert await slack.count("audit_log") == 1
