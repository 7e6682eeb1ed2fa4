"""The setup checklist on Slack: `/infochat mod setup`, and the first-meeting checklist that
goes to the workspace admins and owners by DM (from `users.list`), once."""

from __future__ import annotations

import json

from adapters.slack.app import web_client
from adapters.slack.transport import SlackTransport
from bot.views import Destination, Message
from tests.adapters.slack.harness import COMMUNITY, Slack

CHECKLIST = Message(title="Setup checklist for Acme", text="Moderators approve …: off.")
ADMINS = Destination(kind="admins", channel="moderators")


def transport(slack: Slack) -> SlackTransport:
    return SlackTransport(web_client("xoxb-test", f"{slack.fake.url}api/"))


def posted_to(slack: Slack) -> list[str]:
    return [c.params["channel"] for c in slack.fake.of("chat.postMessage")]


async def test_admins_are_the_workspace_admins_and_owners_by_dm(slack: Slack) -> None:
    slack.fake.admins = {"UADMIN", "UOWNER"}
    await transport(slack).deliver(COMMUNITY, ADMINS, CHECKLIST, 1)
    assert len(slack.fake.of("users.list")) == 1
    assert sorted(posted_to(slack)) == ["DUADMIN", "DUOWNER"]  # never the bot admin
    texts = [c.params["text"] for c in slack.fake.of("chat.postMessage")]
    assert all("Setup checklist for Acme" in t for t in texts)
    assert not any("couldn't post" in t for t in texts)  # a DM by design, not a fallback


async def test_no_admin_reachable_posts_in_the_moderators_channel(slack: Slack) -> None:
    slack.fake.admins = {"UGONE"}
    slack.fake.fail("conversations.open", ok=False, error="user_not_found")
    await transport(slack).deliver(COMMUNITY, ADMINS, CHECKLIST, 1)
    assert posted_to(slack) == ["C0MODS"]


async def test_the_first_command_in_a_workspace_sends_the_checklist_once(slack: Slack) -> None:
    await slack.command("USAM", "help")
    await slack.fake.wait_for("response")
    await slack.command("UANA", "help")
    await slack.fake.wait_for("response", count=2)
    for _ in range(2):  # a second round (or another process) sends nothing more
        await slack.core.job_runner().run_due()
        await slack.worker.drain()
    dms = [c for c in slack.fake.of("chat.postMessage") if c.params["channel"] == "DUMOD"]
    assert len(dms) == 2  # the checklist and the platform's part, to the one admin
    first = json.dumps(dms[0].params)
    assert "Setup checklist for" in first
    assert "/infochat mod settings approval_required=true" in first
    assert "/infochat mod setup" in first
    assert "`infochat doctor` checks it" in json.dumps(dms[1].params)  # no probe given here


async def test_mod_setup_answers_a_moderator_in_slack_syntax(slack: Slack) -> None:
    await slack.command("UMOD", "mod setup")
    settings, checks = await slack.fake.wait_for("response", count=2)  # one per message
    body = json.dumps(settings.params)
    assert "Moderators approve every introduction before anyone is asked: off" in body
    assert "/infochat mod settings approval_required=true" in body
    assert "fields:" not in body
    assert "Slack's side (channels, permissions) isn't checked" in json.dumps(checks.params)
    await slack.command("USAM", "mod setup")
    refused = (await slack.fake.wait_for("response", count=3))[2]
    assert "Only moderators can do that." in json.dumps(refused.params)
