"""Who moderates: workspace admins, plus the members of the moderators' channel or of a
user group (a setting chooses), looked up once per TTL; the core re-checks every action."""

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


async def test_members_of_the_moderators_channel_moderate(slack: Slack) -> None:
    slack.fake.moderators = {"UCHAN"}
    await slack.command("UCHAN", "mod queue")
    await slack.fake.wait_for("response")
    assert "moderator" not in response_text(slack).lower()
    (members,) = slack.fake.of("conversations.members")
    assert members.params["channel"] == "C0MODS"
    await slack.command("USAM", "mod queue")  # the channel's members are cached
    await slack.fake.wait_for("response", count=2)
    assert len(slack.fake.of("conversations.members")) == 1
    assert "moderator" in response_text(slack).lower()


async def test_channel_members_are_cached_briefly(slack: Slack) -> None:
    now = [0.0]
    web = web_client("xoxb-test", f"{slack.fake.url}api/")
    moderators = Moderators(web, "channel", ttl=60, monotonic=lambda: now[0])
    slack.fake.moderators = {"UCHAN"}
    assert await moderators.is_moderator("UCHAN")
    slack.fake.moderators = set()  # left the channel
    assert await moderators.is_moderator("UCHAN")  # still cached
    now[0] = 61
    assert not await moderators.is_moderator("UCHAN")
    assert len(slack.fake.of("conversations.members")) == 2
    assert len(slack.fake.of("conversations.list")) == 1  # the channel id is looked up once


async def test_group_members_moderate_and_lookups_are_cached(slack: Slack) -> None:
    now = [0.0]
    web = web_client("xoxb-test", f"{slack.fake.url}api/")
    moderators = Moderators(web, "usergroup", usergroup="S0MODS", ttl=60, monotonic=lambda: now[0])
    slack.fake.fail("usergroups.users.list", ok=True, users=["UGRP"])
    assert await moderators.is_moderator("UGRP")
    assert not await moderators.is_moderator("USAM")
    assert await moderators.is_moderator("UMOD")  # an admin
    assert len(slack.fake.of("usergroups.users.list")) == 1
    assert not slack.fake.of("conversations.members")
    now[0] = 61
    slack.fake.fail("usergroups.users.list", ok=True, users=[])
    assert not await moderators.is_moderator("UGRP")  # left the group; the cache expired
    assert len(slack.fake.of("usergroups.users.list")) == 2


async def test_admins_only_reads_no_group_and_no_channel(slack: Slack) -> None:
    moderators = Moderators(web_client("xoxb-test", f"{slack.fake.url}api/"), "admins")
    slack.fake.moderators = {"UCHAN"}
    assert not await moderators.is_moderator("UCHAN")
    assert await moderators.is_moderator("UMOD")
    assert not slack.fake.of("conversations.members") and not slack.fake.of("usergroups.users.list")


async def test_lookup_failures_mean_member(slack: Slack) -> None:
    web = web_client("xoxb-test", f"{slack.fake.url}api/")
    slack.fake.fail("users.info", ok=False, error="missing_scope")
    slack.fake.fail("usergroups.users.list", ok=False, error="missing_scope")
    assert not await Moderators(web, "usergroup", usergroup="S0MODS").is_moderator("UMOD")
    slack.fake.fail("users.info", ok=False, error="missing_scope")
    slack.fake.fail("conversations.members", ok=False, error="channel_not_found")
    slack.fake.moderators = {"UCHAN"}
    assert not await Moderators(web, "channel").is_moderator("UCHAN")
