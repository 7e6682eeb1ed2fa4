"""Slack and Discord in one process, as `infochat run` with both tokens: the real bolt app
(over HTTP, signed) against the fake Slack Web API and the real discord.py client against
the fake Discord REST API, with one core, one database, one clock, and one outbox worker
whose routing transport sends each message out on the place it goes to.

A test drives each platform through its own test session, `both.slack` (`tests/adapters/slack/
harness.py`: `command`, `click`, `fake.of("chat.postMessage")`…) and `both.discord`
(`tests/adapters/discord/session.py`: `slash`, `press`, `seen_by`, `dms_to`…), or through
`both.slack_says` / `both.discord_says`, which wait for the answer and deliver what the
command sent; every delivery goes through the one worker and its routing transport.
`both.link_places()` and `both.link_accounts()` play the linking commands on both sides.
`both.world` is the core's world (`travel`, the database, the clock).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from adapters.discord.transport import DiscordTransport
from adapters.routing import RoutingTransport
from adapters.slack.acks import AckFirst
from adapters.slack.app import build_app, http_app, identify, web_client
from adapters.slack.channels import Channels
from adapters.slack.moderators import Moderators
from adapters.slack.transport import SlackTransport
from bot.commands import CommunityRef
from bot.outbox import DeliveryWorker
from bot.storage.link_codes import ALPHABET, GROUP_SIZE, GROUPS
from bot.storage.schema import places
from tests.adapters.discord.harness import FakeDiscord, connect
from tests.adapters.discord.payloads import GUILD_ID
from tests.adapters.discord.session import Bot
from tests.adapters.slack.clicks import settle as slack_settle
from tests.adapters.slack.harness import SECRET, TEAM, FakeSlack, Slack
from tests.support import World

SLACK_PLACE = CommunityRef("slack", TEAM, "acme")
DISCORD_PLACE = CommunityRef("discord", GUILD_ID, "")


@dataclass
class Both:
    world: World  # the one core, database and clock
    slack: Slack  # the Slack workspace `TEAM`; its worker is `worker`
    discord: Bot  # the Discord server `GUILD_ID`; its worker is `worker`
    worker: DeliveryWorker  # the outbox, through `router`
    router: RoutingTransport

    async def slack_says(self, user: str, text: str) -> str:
        """A signed `/infochat <text>` from a Slack member; the private answer (as JSON),
        once what it sent is delivered."""
        answered = len(self.slack.fake.of("response"))
        status, _ = await self.slack.command(user, text)
        assert status == 200, status
        calls = await self.slack.fake.wait_for("response", answered + 1)
        await slack_settle()
        await self.worker.drain()
        return json.dumps(calls[-1].params)

    async def discord_says(self, name: str, *path: str, **options: str | int) -> str:
        """`/infochat <path…>` (`("mod", …)` is `/infochat-mod …`) from a Discord member
        (`name` in `tests/adapters/discord/session.USERS`); the private answer, as JSON."""
        callback = await self.discord.slash(name, *path, **options)
        return json.dumps(callback.body)

    async def link_places(
        self, slack_moderator: str = "UMOD", discord_moderator: str = "mo"
    ) -> str:
        """The moderators join the two places: a code from `/infochat mod link-place` on
        Slack, entered with `/infochat-mod link-place code:` on Discord; Discord's answer."""
        code = code_in(await self.slack_says(slack_moderator, "mod link-place"))
        self.discord.moderators.add(discord_moderator)
        return await self.discord_says(discord_moderator, "mod", "link-place", code=code)

    async def link_accounts(self, slack_user: str, discord_name: str) -> str:
        """A member links their Slack and Discord accounts: a code from `/infochat link` on
        Discord, entered with `/infochat link code=…` on Slack; Slack's answer."""
        code = code_in(await self.discord_says(discord_name, "link"))
        return await self.slack_says(slack_user, f"link code={code}")

    async def place_communities(self) -> dict[str, int]:
        """Each platform's place → the community it belongs to now (after the first command
        on it; linking the places makes the two one)."""
        async with self.world.db.read() as conn:
            rows = await conn.execute(
                sa.select(places.c.platform, places.c.community_id).where(
                    places.c.platform.in_(("slack", "discord"))
                )
            )
            return {row.platform: row.community_id for row in rows}


_CODE = re.compile("-".join([f"[{ALPHABET}]{{{GROUP_SIZE}}}"] * GROUPS))


def code_in(answer: str) -> str:
    """The link code an answer shows (the last one, if several)."""
    codes = _CODE.findall(answer)
    assert codes, f"no link code in {answer[:300]}"
    return str(codes[-1])


@contextlib.asynccontextmanager
async def both_platforms(
    world: World, *, slack_admins: frozenset[str] = frozenset({"UMOD"})
) -> AsyncIterator[Both]:
    """Both fakes started, both adapters on `world`'s core; everything closed afterwards.
    On Slack, `slack_admins` are the workspace admins (moderators); on Discord, members
    sent with Manage Server (`both.discord.moderators`)."""
    fake_slack = FakeSlack(admins=set(slack_admins))
    slack_server = TestServer(fake_slack.application(), host="127.0.0.1")
    await slack_server.start_server()
    fake_slack.url = str(slack_server.make_url("/"))
    fake_discord = FakeDiscord()
    await fake_discord.start()
    http: TestClient[Any, Any] | None = None
    client = None
    try:
        slack_client = web_client("xoxb-test", f"{fake_slack.url}api/")
        channels = Channels(slack_client)
        moderators = Moderators(slack_client, "channel", channels=channels)
        acks = AckFirst()
        app = build_app(
            world.app, slack_client, SECRET, await identify(slack_client), moderators, acks
        )
        http = TestClient(TestServer(http_app(app, acks, SECRET), host="127.0.0.1"))
        await http.start_server()
        client = await connect(world.app, clock=world.clock)
        slack_transport = SlackTransport(slack_client, channels)
        discord_transport = DiscordTransport(client)
        router = RoutingTransport(
            {"slack": lambda: slack_transport, "discord": lambda: discord_transport}
        )
        worker = DeliveryWorker(world.db, router, world.clock)
        fake_slack.calls.clear()  # auth.test at start-up: tests look at what requests cause
        slack = Slack(fake_slack, http, world.app, world.clock, worker)
        discord = Bot(fake_discord, world, client, worker)
        yield Both(world, slack, discord, worker, router)
    finally:
        if client is not None:
            await client.close()
        if http is not None:
            await http.close()
        await fake_discord.close()
        await slack_server.close()
