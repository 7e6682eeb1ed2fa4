"""HTTP mode's one endpoint, /slack/events: the signature is checked before anything else
(401, nothing parsed, nothing logged), then the body's shape (400 and one warning line);
only then does bolt see the request."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack.payloads import Malformed, parse

log = logging.getLogger(__name__)
MAX_AGE = 300  # seconds: Slack's documented window against replays


class Endpoint:
    def __init__(
        self, app: AsyncApp, signing_secret: str, now: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self.secret = signing_secret.encode()
        self.now = now

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if not self.signed(raw, request.headers):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body = parse(raw, request.content_type)
        except Malformed as exc:
            log.warning("slack: a signed request that isn't what Slack sends: %s", exc)
            return web.json_response({"error": "malformed request"}, status=400)
        bolt_request = AsyncBoltRequest(
            body=raw.decode(),
            query=request.query_string,
            headers=dict(request.headers),
        )
        if bolt_request.body != body:
            # bolt reads any form whose text merely contains "payload" as an interactive
            # payload and finds nothing; e.g. a slash command about payload engineering.
            bolt_request.body = body
            bolt_request.context = build_async_context(AsyncBoltContext({}), body)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    def signed(self, raw: bytes, headers: Mapping[str, str]) -> bool:
        """Slack's scheme: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}"), timestamp recent."""
        stamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "").encode(errors="replace")
        if not stamp.isascii() or not stamp.isdigit() or abs(self.now() - int(stamp)) > MAX_AGE:
            return False
        digest = hmac.new(self.secret, b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256)
        return hmac.compare_digest(b"v0=" + digest.hexdigest().encode(), signature)
