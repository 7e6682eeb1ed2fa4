"""A fake Slack Web API (aiohttp, 127.0.0.1) that records every call and answers as Slack
does: the `x-oauth-scopes` header, `missing_scope`, pagination, message history with
metadata, Socket Mode envelopes and their acks."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from adapters.slack.setup_probe import REQUIRED_SCOPES
from bot.commands import CommunityRef

# Methods and the bot scope each needs (Slack answers `missing_scope` without it).
SCOPE_OF = {
    "conversations.list": "channels:read",
    "conversations.info": "channels:read",
    "conversations.members": "channels:read",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "users.info": "users:read",
    "users.list": "users:read",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "files.getUploadURLExternal": "files:write",
}
TEAM, DOMAIN = "T0TEAM", "acme"
COMMUNITY = CommunityRef("slack", TEAM, DOMAIN)
_ids = itertools.count(1)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: Mapping[str, str]
    path: str = ""
    result: dict[str, Any] = field(default_factory=dict)  # what the fake answered
    raw: bytes = b""
    at: float = 0.0  # the event loop's time when the call arrived


@dataclass
class Canned:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeSlack:
    latency: float = 0.05  # see TESTING-ADAPTERS.md: an instant fake exposes a bolt race
    admins: set[str] = field(default_factory=set)
    moderators: set[str] = field(default_factory=set)  # members of #moderators
    channels: dict[str, str] = field(
        default_factory=lambda: {"moderators": "C0MODS", "digest": "C0DIGEST"}
    )
    calls: list[Call] = field(default_factory=list)
    overrides: dict[str, list[Canned]] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    url: str = ""
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # oldest first
    # What the bot token was granted: sent as `x-oauth-scopes` on every answer, as Slack
    # does; a method whose scope is missing gets `missing_scope` (see SCOPE_OF).
    scopes: set[str] = field(default_factory=lambda: set(REQUIRED_SCOPES))
    scopes_header: bool = True  # False: a proxy that drops Slack's headers
    outside: set[str] = field(default_factory=set)  # channel names the app is not in
    archived: set[str] = field(default_factory=set)  # archived channel names
    usergroups: dict[str, str] = field(default_factory=dict)  # user group id → handle
    page_size: int = 0  # conversations.list: channels per page (0: all on one page)
    delays: dict[str, float] = field(default_factory=dict)  # method → latency, e.g. a slow API

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/link", self._socket)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record every ack the app sends back."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async with self.changed:
            self.sockets.append(ws)
            self.changed.notify_all()
        await ws.send_json({"type": "hello", "num_connections": 1})
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                async with self.changed:
                    self.acks.append(json.loads(message.data))
                    self.changed.notify_all()
        return ws

    async def push(self, envelope: dict[str, Any], within: float = 5.0) -> dict[str, Any]:
        """Send a Socket Mode envelope once the app is connected; return its ack."""

        async def connected() -> None:
            async with self.changed:
                await self.changed.wait_for(lambda: bool(self.sockets))

        await asyncio.wait_for(connected(), within)
        await self.sockets[-1].send_json(envelope)

        async def acked() -> dict[str, Any]:
            async with self.changed:
                await self.changed.wait_for(
                    lambda: any(a.get("envelope_id") == envelope["envelope_id"] for a in self.acks)
                )
                return next(a for a in self.acks if a.get("envelope_id") == envelope["envelope_id"])

        return await asyncio.wait_for(acked(), within)

    def fail(
        self, method: str, status: int = 200, headers: dict[str, str] | None = None, **body: Any
    ) -> None:
        """The next call of `method` gets this answer instead of the default."""
        self.overrides.setdefault(method, []).append(Canned(status, body, headers or {}))

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def arrived_between(self, start: float, end: float) -> list[Call]:
        return [c for c in self.calls if start <= c.at <= end]

    async def wait_for(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        async def enough() -> list[Call]:
            async with self.changed:
                await self.changed.wait_for(lambda: len(self.of(method)) >= count)
                return self.of(method)

        return await asyncio.wait_for(enough(), within)

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = asyncio.get_running_loop().time()
        path = request.path.strip("/")
        method = path.removeprefix("api/") if path.startswith("api/") else path.split("/")[0]
        params: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if request.content_type == "application/json" and raw:
            params.update(json.loads(raw))
        elif request.content_type == "application/x-www-form-urlencoded":
            params.update(parse_qsl(raw.decode()))
        await asyncio.sleep(self.delays.get(method, self.latency))
        call = Call(method, params, dict(request.headers), path, raw=raw, at=arrived)
        queued = self.overrides.get(method)
        canned = queued.pop(0) if queued else None
        needed = SCOPE_OF.get(method)
        if canned is None and needed and needed not in self.scopes:
            body = {"ok": False, "error": "missing_scope", "needed": needed}
            canned = Canned(200, {**body, "provided": ",".join(sorted(self.scopes))}, {})
        if canned is None and method not in ("response", "upload"):
            call.result = {"ok": True, **self._default(method, params)}
        async with self.changed:
            self.calls.append(call)
            self.changed.notify_all()
        granted = {"x-oauth-scopes": ",".join(sorted(self.scopes))} if self.scopes_header else {}
        if canned is not None:
            headers = {**granted, **canned.headers}
            return web.json_response(canned.body, status=canned.status, headers=headers)
        if method in ("response", "upload"):
            return web.Response(text="ok")
        return web.json_response(call.result, headers=granted)

    def _default(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "team_id": TEAM,
                "team": "Acme",
                "user": "infochat",
                "url": f"https://{DOMAIN}.slack.com/",
            }
        if method == "conversations.open":
            users = str(params.get("users", ""))
            prefix = "G" if "," in users else "D"
            return {"channel": {"id": prefix + users.replace(",", "-")}}
        if method == "apps.connections.open":
            return {"url": self.url.replace("http://", "ws://") + "link"}
        if method == "users.info":
            user = str(params.get("user", ""))
            name = user.removeprefix("U").title()  # UDANA → Dana
            return {
                "user": {
                    "id": user,
                    "is_admin": user in self.admins,
                    "name": name.lower(),
                    "profile": {"display_name": name},
                }
            }
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(_ids)}"
            return {"upload_url": f"{self.url}upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {"files": [{"id": f["id"]} for f in json.loads(params.get("files", "[]"))]}
        if method == "users.list":
            members = [{"id": u, "is_admin": True} for u in sorted(self.admins)]
            members.append({"id": "UBOTADMIN", "is_admin": True, "is_bot": True})
            return {"members": members, "response_metadata": {"next_cursor": ""}}
        if method == "conversations.members":
            return {"members": sorted(self.moderators), "response_metadata": {"next_cursor": ""}}
        if method == "conversations.list":
            return self._conversations(params)
        if method == "conversations.info":
            return self._conversation_info(str(params.get("channel", "")))
        if method == "usergroups.list":
            return {
                "usergroups": [
                    {"id": i, "handle": h, "name": h.title(), "date_delete": 0}
                    for i, h in self.usergroups.items()
                ]
            }
        if method == "chat.postMessage":
            return self._posted(params)
        if method == "chat.update":
            return {"channel": params.get("channel"), "ts": f"{next(_ids)}.0001"}
        if method == "conversations.history":
            return self._history(params)
        return {}

    def _channel(self, name: str, channel_id: str) -> dict[str, Any]:
        return {
            "id": channel_id,
            "name": name,
            "is_channel": True,
            "is_private": False,
            "is_archived": name in self.archived,
            "is_member": name not in self.outside,
        }

    def _conversations(self, params: dict[str, Any]) -> dict[str, Any]:
        """conversations.list: paginated by `cursor` (an offset here), as Slack does."""
        listed = [self._channel(n, i) for n, i in self.channels.items()]
        if str(params.get("exclude_archived", "")).lower() in ("1", "true"):
            listed = [c for c in listed if not c["is_archived"]]
        start = int(params.get("cursor") or 0)
        size = self.page_size or len(listed) or 1
        page, rest = listed[start : start + size], listed[start + size :]
        cursor = str(start + size) if rest else ""
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    def _conversation_info(self, channel_id: str) -> dict[str, Any]:
        for name, known in self.channels.items():
            if known == channel_id:
                return {"channel": self._channel(name, channel_id)}
        return {"ok": False, "error": "channel_not_found"}

    def _posted(self, params: dict[str, Any]) -> dict[str, Any]:
        """Keep the message in its conversation's history, with its metadata."""
        ts = f"{next(_ids)}.0001"
        metadata = params.get("metadata")
        message = {"type": "message", "ts": ts, "text": params.get("text", "")}
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        self.history.setdefault(str(params.get("channel")), []).append(message)
        return {"channel": params.get("channel"), "ts": ts}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, `limit` at most; metadata only with `include_all_metadata`."""
        posted = self.history.get(str(params.get("channel")), [])
        limit = int(params.get("limit", 100))
        metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        newest = [
            m if metadata else {k: v for k, v in m.items() if k != "metadata"}
            for m in reversed(posted)
        ]
        return {"messages": newest[:limit], "has_more": len(newest) > limit}
