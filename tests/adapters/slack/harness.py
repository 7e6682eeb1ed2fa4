"""Helpers to send signed slash commands, button clicks and modal submits to the real bolt
app over HTTP, against the fake Web API of `fake_api.py`."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from adapters.slack.acks import AckFirst
from adapters.slack.app import EVENTS_PATH, build_app, http_app, identify, web_client
from adapters.slack.channels import Channels
from adapters.slack.moderators import Moderators
from adapters.slack.transport import SlackTransport
from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor
from bot.domain.community import CommunitySettings
from bot.outbox import DeliveryWorker
from bot.storage.database import Database, sqlite_url
from bot.storage.schema import metadata
from tests.adapters.slack.fake_api import (
    COMMUNITY,
    DOMAIN,
    SCOPE_OF,
    TEAM,
    Call,
    Canned,
    FakeSlack,
)

# The fake itself lives in fake_api.py; tests import it from here with the helpers.
__all__ = [
    "COMMUNITY",
    "DOMAIN",
    "SCOPE_OF",
    "TEAM",
    "Call",
    "Canned",
    "FakeSlack",
    "Slack",
    "elements",
    "running",
    "sign",
    "view_of",
]
SECRET = "test-signing-secret"
_ids = itertools.count(1)


def slack_escaped(text: str) -> str:
    """Text as Slack sends what a member typed in a message or a slash command."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def view_of(call: Call) -> dict[str, Any]:
    view = call.params["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


def elements(blocks: list[dict[str, Any]] | str) -> list[dict[str, Any]]:
    """The buttons of some blocks (a message's or a view's)."""
    found = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [e for b in found if b["type"] == "actions" for e in b["elements"]]


def sign(
    body: str,
    secret: str = SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    # Slack's documented scheme: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}").
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    signature = f"v0={digest.hexdigest()}"
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


@dataclass
class Slack:
    """The bolt app on a real HTTP client, the fake Web API, and the core behind them."""

    fake: FakeSlack
    http: TestClient[Any, Any]
    core: Infochat
    clock: FakeClock
    worker: DeliveryWorker

    async def post(self, body: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        response = await self.http.post(EVENTS_PATH, data=body, headers=headers or sign(body))
        return response.status, await response.text()

    def command_body(self, user: str, text: str, trigger_id: str | None = None) -> str:
        trigger = trigger_id or f"trig{next(_ids)}"
        return urlencode(
            {
                "team_id": TEAM,
                "team_domain": DOMAIN,
                "channel_id": "C0GENERAL",
                "user_id": user,
                "user_name": user.removeprefix("U").lower(),
                "command": "/infochat",
                "text": slack_escaped(text),
                "response_url": f"{self.fake.url}response/{user}/{trigger}",
                "trigger_id": trigger,
            }
        )

    async def command(self, user: str, text: str) -> tuple[int, str]:
        return await self.post(self.command_body(user, text))

    def payload_body(self, payload: dict[str, Any]) -> str:
        user = str((payload.get("user") or {}).get("id", ""))
        base = {
            "team": {"id": TEAM, "domain": DOMAIN},
            "trigger_id": f"trig{next(_ids)}",
            "response_url": f"{self.fake.url}response/{user}/p{next(_ids)}",
        }
        return urlencode({"payload": json.dumps({**base, **payload})})

    def click_body(
        self,
        user: str,
        block: dict[str, Any],
        channel: str,
        ts: str,
        kind: str = "message",
        message: dict[str, Any] | None = None,
    ) -> str:
        """A click on a message's button; `message`, the clicked message as Slack sends it
        along (its text and blocks)."""
        return self.payload_body(
            {
                "type": "block_actions",
                **({"message": message} if message is not None else {}),
                "user": {"id": user, "username": user.removeprefix("U").lower()},
                "container": {
                    "type": "message",
                    "channel_id": channel,
                    "message_ts": ts,
                    **({"is_ephemeral": True} if kind == "ephemeral" else {}),
                },
                "channel": {"id": channel},
                "actions": [
                    {
                        "type": "button",
                        "action_id": block["action_id"],
                        "block_id": "infochat_actions",
                        "value": block["value"],
                        "action_ts": f"{next(_ids)}.0002",
                    }
                ],
            }
        )

    def home_click_body(self, user: str, element: dict[str, Any]) -> str:
        """A click on the App Home tab: a `view` container and no response URL."""
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": DOMAIN},
            "trigger_id": f"trig{next(_ids)}",
            "user": {"id": user, "username": user.removeprefix("U").lower()},
            "container": {"type": "view", "view_id": "VHOME"},
            "view": {"id": "VHOME", "type": "home", "blocks": []},
            "actions": [
                {
                    "type": "button",
                    "action_id": element["action_id"],
                    "block_id": "infochat_actions_0",
                    "value": element["value"],
                    "action_ts": f"{next(_ids)}.0003",
                }
            ],
        }
        return urlencode({"payload": json.dumps(payload)})

    def pick_body(self, user: str, view: dict[str, Any], field: str, picked: str) -> str:
        """A member picked in a modal's users select whose input dispatches the pick."""
        return self.payload_body(
            {
                "type": "block_actions",
                "user": {"id": user, "username": user.removeprefix("U").lower()},
                "container": {"type": "view", "view_id": "V0VIEW"},
                "view": {**view, "id": "V0VIEW"},
                "actions": [
                    {
                        "type": "users_select",
                        "action_id": "value",
                        "block_id": field,
                        "selected_user": picked,
                        "action_ts": f"{next(_ids)}.0004",
                    }
                ],
            }
        )

    def event_body(self, event: dict[str, Any], event_id: str) -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM,
                "api_app_id": "A0APP",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": 1_700_000_000,
                "event": event,
            }
        )

    async def event(self, event: dict[str, Any], event_id: str, retry: int = 0) -> tuple[int, str]:
        body = self.event_body(event, event_id)
        headers = sign(body, content_type="application/json")
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, headers)

    async def open_home(self, user: str, event_id: str | None = None) -> dict[str, Any]:
        """Open the App Home tab; the view published for `user`."""
        before = len(self.fake.of("views.publish"))
        await self.event(
            {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"},
            event_id or f"Ev{next(_ids)}",
        )
        published = await self.fake.wait_for("views.publish", count=before + 1)
        return view_of(published[-1])

    def submit_body(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> str:
        """`values`: block id → a text, or a raw state entry (selects, date pickers)."""
        state = {
            name: {"value": v if isinstance(v, dict) else {"type": "plain_text_input", "value": v}}
            for name, v in values.items()
        }
        submitted = {**view, "id": "V0VIEW", "hash": "h1", "state": {"values": state}}
        return self.payload_body(
            {
                "type": "view_submission",
                "user": {"id": user, "username": user.removeprefix("U").lower()},
                "view": submitted,
            }
        )

    async def count(self, table: str) -> int:
        return int((await self.one(sa.func.count(), table=table))[0])

    async def one(self, *columns: Any, table: str = "") -> Any:
        """The one row of a query over `columns` (of `table`, if named)."""
        query = sa.select(*columns)
        if table:
            query = query.select_from(metadata.tables[table])
        async with self.core.db.transaction() as conn:
            return (await conn.execute(query)).one()

    async def setup(self, user: str, text: str) -> None:
        """Put the world in a state directly through the core (no Slack involved)."""
        actor = Actor(COMMUNITY, user, user.removeprefix("U").lower())
        reply = await self.core.dispatch_text(actor, text, f"setup{next(_ids)}")
        assert reply.ok, reply.messages
        await self.worker.drain()


@contextlib.asynccontextmanager
async def running(tmp_path: Path, fake: FakeSlack, **settings: Any) -> AsyncIterator[Slack]:
    """A started world for a fixture; everything closed afterwards."""
    world, server = await start(tmp_path, fake, **settings)
    try:
        yield world
    finally:
        await world.http.close()
        await server.close()
        await world.core.db.dispose()


async def start(tmp_path: Path, fake: FakeSlack, **settings: Any) -> tuple[Slack, TestServer]:
    server = TestServer(fake.application(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/"))
    db = Database(sqlite_url(tmp_path / "slack.db"))
    await db.migrate()
    clock = FakeClock()
    client = web_client("xoxb-test", f"{fake.url}api/")
    channels = Channels(client)
    worker = DeliveryWorker(db, SlackTransport(client, channels), clock)
    core = Infochat(db, clock, CommunitySettings(**settings))
    acks = AckFirst()
    moderators = Moderators(client, "channel", channels=channels)
    app = build_app(core, client, SECRET, await identify(client), moderators, acks)
    http: TestClient[Any, Any] = TestClient(
        TestServer(http_app(app, acks, SECRET), host="127.0.0.1")
    )
    await http.start_server()
    fake.calls.clear()  # auth.test at start-up: tests look at what requests cause
    return Slack(fake, http, core, clock, worker), server
