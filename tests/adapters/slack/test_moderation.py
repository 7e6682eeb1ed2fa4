"""Moderator approval through Slack: the approval lands in #moderators; Approve introduces;
Deny asks for a reason in a modal first."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.adapters.slack.harness import Call, FakeSlack, Slack, running
from tests.adapters.slack.test_buttons import buttons_of, labelled
from tests.adapters.slack.test_commands import join_volunteers
from tests.support import GOOD_REQUEST


@pytest.fixture
async def approving(tmp_path: Path) -> AsyncIterator[Slack]:
    async with running(tmp_path, FakeSlack(admins={"UMOD"}), approval_required=True) as world:
        yield world


async def approval(slack: Slack) -> Call:
    await join_volunteers(slack)
    await slack.command("USAM", GOOD_REQUEST)
    (suggestions,) = await slack.fake.wait_for("response")
    ask = labelled(suggestions, "Ask priya")
    await slack.post(slack.click_body("USAM", ask, "C0GENERAL", "1.1", kind="ephemeral"))
    await slack.fake.wait_for("response", count=2)
    await slack.worker.drain()
    posts = await slack.fake.wait_for("chat.postMessage")
    return next(c for c in posts if c.params["channel"] == "C0MODS")


async def test_approve_in_the_moderators_channel_introduces(approving: Slack) -> None:
    slack = approving
    message = await approval(slack)
    assert not [c for c in slack.fake.of("chat.postMessage") if c.params["channel"] == "DUPRIYA"]
    approve = labelled(message, "Approve")
    await slack.post(slack.click_body("USAM", approve, "C0MODS", "5.5"))  # not a moderator
    await slack.fake.wait_for("response", count=3)
    assert not slack.fake.of("chat.update")
    await slack.post(slack.click_body("UMOD", approve, "C0MODS", "5.5"))
    (update,) = await slack.fake.wait_for("chat.update")
    assert update.params["channel"] == "C0MODS" and not buttons_of(update)
    await slack.worker.drain()
    asks = [c for c in slack.fake.of("chat.postMessage") if c.params["channel"] == "DUPRIYA"]
    assert asks and labelled(asks[-1], "Accept")


async def test_deny_needs_a_reason_from_the_modal(approving: Slack) -> None:
    slack = approving
    message = await approval(slack)
    await slack.post(slack.click_body("UMOD", labelled(message, "Deny"), "C0MODS", "5.5"))
    (opened,) = await slack.fake.wait_for("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    status, body = await slack.post(slack.submit_body("UMOD", view, {"reason": ""}))
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    reason = {"reason": "Priya is on leave this month."}
    status, body = await slack.post(slack.submit_body("UMOD", view, reason))
    assert status == 200 and body == ""
    await slack.fake.wait_for("chat.update")
    await slack.worker.drain()
    everything = json.dumps([c.params for c in slack.fake.of("chat.postMessage")])
    assert "on leave" in everything
    assert await slack.count("introductions") == 0
