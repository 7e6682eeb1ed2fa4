"""Who moderates: workspace admins and a configured user group, looked up once per TTL."""

from __future__ import annotations

from adapters.slack.app import web_client
from adapters.slack.moderators import Moderators
from tests.adapters.slack.harness import Slack
from tests.adapters.slack.test_commands import response_text


async def test_admins_may_moderate_members_may_not(slack: Slack) -> None:
    await slack.command("USAM", "mod queue")
    await slack.fake.wait_for("response")
    refused = response_text(slack)
    await slack.command("UMOD", "mod queue")
    await slack.fake.wait_for("response", count=2)
    allowed = response_text(slack)[len(refused) :]
    assert refused != allowed
    assert "moderator" in refused.lower()
    assert len(slack.fake.of("users.info")) == 2


async def test_group_members_moderate_and_lookups_are_cached(slack: Slack) -> None:
    now = [0.0]
    client = web_client("xoxb-test", f"{slack.fake.url}api/")
    moderators = Moderators(client, usergroup="S0MODS", ttl=60, monotonic=lambda: now[0])
    slack.fake.fail("usergroups.users.list", ok=True, users=["UGRP"])
    assert await moderators.is_moderator("UGRP")
    assert not await moderators.is_moderator("USAM")
    assert await moderators.is_moderator("UMOD")  # an admin
    assert len(slack.fake.of("usergroups.users.list")) == 1
    now[0] = 61
    slack.fake.fail("usergroups.users.list", ok=True, users=[])
    assert not await moderators.is_moderator("UGRP")  # left the group; the cache expired
    assert len(slack.fake.of("usergroups.users.list")) == 2


async def test_lookup_failures_mean_member(slack: Slack) -> None:
    client = web_client("xoxb-test", f"{slack.fake.url}api/")
    slack.fake.fail("users.info", ok=False, error="missing_scope")
    slack.fake.fail("usergroups.users.list", ok=False, error="missing_scope")
    assert not await Moderators(client, usergroup="S0MODS").is_moderator("UMOD")
