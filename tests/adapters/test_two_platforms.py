"""Slack and Discord in one process with one core (`two_platforms.py`): a member on each
reaches the core from their own platform and gets their replies and direct messages there,
each message routed by the place it goes out on."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

pytest.importorskip("discord")
pytest.importorskip("slack_bolt")

from adapters.discord.transport import DiscordTransport
from bot.storage.schema import members, outbox, places
from tests.adapters.discord.payloads import click
from tests.adapters.discord.session import USERS, fields, reply_buttons
from tests.adapters.two_platforms import DISCORD_PLACE, SLACK_PLACE, Both
from tests.support import GOOD_REQUEST, VOLUNTEERS, join_places


async def test_a_member_on_each_platform_is_answered_and_messaged_on_their_own(
    both: Both,
) -> None:
    on_slack = await both.slack_says("USAM", "help")
    assert "/infochat request" in on_slack
    callback = await both.discord.slash("dana", "help")
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] & 64
    assert "/infochat-mod queue" in json.dumps(callback.body)  # Discord's own help
    # Neither answer crossed over.
    assert not both.discord.fake.find("POST", r"/interactions/\d+/[^/]+/callback")[:-1]
    assert len(both.slack.fake.of("response")) == 1

    # A direct message: each member's data export goes to their DMs on their platform.
    assert "direct messages" in await both.slack_says("USAM", "me export")
    exported = await both.discord.slash("dana", "my-data", what="export")
    assert "direct messages" in json.dumps(exported.body)
    (upload,) = both.slack.fake.of("files.completeUploadExternal")
    assert upload.params["channel_id"] == "DUSAM"
    (opened,) = both.slack.fake.of("conversations.open")
    assert opened.params["users"] == "USAM"
    dana_dms = both.discord.dms_to("dana")
    assert dana_dms and any(
        call.files for call in both.discord.fake.find("POST", r"/channels/\d+/messages")
    )
    assert "USAM" not in json.dumps([c.body for c in both.discord.fake.calls])
    assert "104" not in json.dumps([c.params for c in both.slack.fake.calls])  # dana's id

    # Each place met the bot as a community of its own until moderators link them, and
    # every outbox row went out on the place of whom it reached.
    communities = await both.place_communities()
    assert set(communities) == {"slack", "discord"}
    assert communities["slack"] != communities["discord"]
    async with both.world.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(places.c.platform, outbox.c.status).join(
                    places, places.c.id == outbox.c.place_id
                )
            )
        ).all()
    assert {platform for platform, _ in rows} == {"slack", "discord"}
    assert {status for _, status in rows} == {"sent"}


async def sent_per_platform(both: Both) -> dict[str, int]:
    async with both.world.db.read() as conn:
        rows = await conn.execute(
            sa.select(places.c.platform, sa.func.count().label("sent"))
            .select_from(outbox.join(places, places.c.id == outbox.c.place_id))
            .where(outbox.c.status == "sent")
            .group_by(places.c.platform)
        )
        return {row.platform: row.sent for row in rows}


async def test_a_platform_down_holds_its_own_messages_only(both: Both) -> None:
    both.router.transports["discord"] = lambda: None  # the Discord connection is down
    both.router.not_connected_retry = 5.0
    await both.discord.slash("dana", "my-data", what="export")
    await both.slack_says("USAM", "me export")
    assert await sent_per_platform(both) == {"slack": 1}  # Slack's went out meanwhile
    assert not both.discord.dms_to("dana")

    discord_transport = DiscordTransport(both.discord.client)
    both.router.transports["discord"] = lambda: discord_transport  # connected again
    both.world.clock.advance(timedelta(seconds=6))
    await both.worker.drain()
    assert await sent_per_platform(both) == {"slack": 1, "discord": 1}
    assert both.discord.dms_to("dana")


async def test_once_the_places_are_one_community_a_discord_seekers_ask_reaches_slack(
    both: Both,
) -> None:
    """The start of the cross-platform scenario, with the places joined directly (as
    `mod link-place` does): the ask goes out on the volunteer's platform only."""
    await join_places(both.world, DISCORD_PLACE, SLACK_PLACE)
    communities = await both.place_communities()
    assert communities["slack"] == communities["discord"]
    await both.slack_says("UPRIYA", f"volunteer join {VOLUNTEERS['priya']}")
    reply = await both.discord.slash("sam", "request", fields=fields(GOOD_REQUEST))
    choose = next(c for label, c in reply_buttons(reply.body).items() if label.startswith("Let"))
    await both.discord.send(click(USERS["sam"], "sam", choose, in_dm=False))

    asks = [
        call
        for call in both.slack.fake.of("chat.postMessage")
        if call.params.get("channel") == "DUPRIYA" and "Accept" in json.dumps(call.params)
    ]
    assert len(asks) == 1
    assert "What does a typical week look like" in json.dumps(asks[0].params)
    assert not [b for b in both.discord.fake.dm_channels if b not in (USERS["sam"],)]


async def test_moderators_link_the_places_and_a_member_links_their_accounts(both: Both) -> None:
    await both.slack_says("USAM", "help")  # each place meets the bot first
    await both.discord_says("sam", "help")
    before = await both.place_communities()
    assert before["slack"] != before["discord"]
    await both.link_places()
    after = await both.place_communities()
    assert after["slack"] == after["discord"]
    await both.link_accounts("USAM", "sam")
    async with both.world.db.read() as conn:
        linked = (
            await conn.execute(sa.select(members.c.user_id).where(members.c.person_id.is_not(None)))
        ).scalars()
        assert set(linked) & {"USAM", USERS["sam"]}
