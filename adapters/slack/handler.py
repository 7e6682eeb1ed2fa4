"""Thin translators: a slash command, a button click or a modal submit becomes one core
command with the actor and an idempotency key; the Reply is shown privately."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.moderators import Moderators
from adapters.slack.render import blocks, clicked, fallback_text, metadata, modal, submitted
from bot.app import Infochat
from bot.commands import Actor, Command, CommunityRef
from bot.views import Message, Reply

log = logging.getLogger(__name__)
Body = dict[str, Any]
GENERIC = "Sorry, that didn't work. Please try again."


class Handlers:
    def __init__(self, core: Infochat, moderators: Moderators) -> None:
        self.core = core
        self.moderators = moderators

    async def actor(self, team_id: str, team_domain: str, user_id: str, name: str) -> Actor:
        community = CommunityRef("slack", team_id, team_domain)
        is_moderator = await self.moderators.is_moderator(user_id)
        return Actor(community, user_id, name or user_id, is_moderator=is_moderator)

    async def _payload_actor(self, body: Body) -> Actor:
        team, user = body.get("team") or {}, body.get("user") or {}
        name = str(user.get("username") or user.get("name") or "")
        return await self.actor(
            str(team.get("id", "")), str(team.get("domain", "")), str(user.get("id", "")), name
        )

    async def on_command(
        self, ack: AsyncAck, body: Body, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        actor = await self.actor(
            str(body.get("team_id", "")),
            str(body.get("team_domain", "")),
            str(body.get("user_id", "")),
            str(body.get("user_name", "")),
        )
        key = f"slack:{body.get('team_id', '')}:{body.get('trigger_id', '')}"
        reply = await self.core.dispatch_text(actor, str(body.get("text", "")), key)
        await self._show(reply, client, respond, str(body.get("trigger_id", "")))

    async def on_action(
        self, ack: AsyncAck, body: Body, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        clicked_action = (body.get("actions") or [{}])[0]
        action, target, form = clicked(str(clicked_action.get("value", "")))
        container = body.get("container") or {}
        trigger_id = str(body.get("trigger_id", ""))
        if form is not None:
            origin = {}
            if container.get("type") == "message":
                origin = {
                    "channel": str(container.get("channel_id")),
                    "ts": str(container.get("message_ts")),
                }
            await self._call(client.views_open(trigger_id=trigger_id, view=modal(form, origin)))
            return
        actor = await self._payload_actor(body)
        stamp = clicked_action.get("action_ts") or trigger_id
        key = f"slack:{stamp}:{clicked_action.get('action_id', '')}"
        reply = await self.core.dispatch(Command(actor, action, key, target, {}))
        if reply.update is not None:
            if container.get("type") == "message":
                await self._replace(
                    client,
                    str(container.get("channel_id")),
                    str(container.get("message_ts")),
                    reply.update,
                )
            else:
                await self._call(
                    respond(
                        text=fallback_text(reply.update),
                        blocks=blocks(reply.update, with_buttons=False),
                        replace_original=True,
                    )
                )
        await self._show(reply, client, respond, trigger_id)

    async def on_submit(self, ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        view = body.get("view") or {}
        action, target, values = submitted(view)
        actor = await self._payload_actor(body)
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]
        key = f"slack:view:{view.get('id', '')}:{digest}"
        reply = await self.core.dispatch(Command(actor, action, key, target, values))
        if not reply.ok:
            await ack(response_action="errors", errors=_errors(reply, view))
            return
        await ack()
        meta = metadata(view)
        if reply.update is not None and meta.get("channel") and meta.get("ts"):
            await self._replace(client, meta["channel"], meta["ts"], reply.update)
        for message in reply.messages:
            await self._post(client, actor.user_id, message)

    async def _show(
        self, reply: Reply, client: AsyncWebClient, respond: AsyncRespond, trigger_id: str
    ) -> None:
        if reply.form is not None and trigger_id:
            await self._call(client.views_open(trigger_id=trigger_id, view=modal(reply.form)))
        for message in reply.messages:
            await self._call(
                respond(
                    text=fallback_text(message),
                    blocks=blocks(message),
                    response_type="ephemeral",
                    replace_original=False,
                )
            )

    async def _replace(
        self, client: AsyncWebClient, channel: str, ts: str, message: Message
    ) -> None:
        """Replace the clicked message (without its buttons), so nobody clicks twice."""
        await self._call(
            client.chat_update(
                channel=channel,
                ts=ts,
                text=fallback_text(message),
                blocks=blocks(message, with_buttons=False),
            )
        )

    async def _post(self, client: AsyncWebClient, user_id: str, message: Message) -> None:
        await self._call(
            client.chat_postMessage(
                channel=user_id, text=fallback_text(message), blocks=blocks(message)
            )
        )

    async def _call(self, pending: Any) -> None:
        """Showing a reply is best effort: a failure is logged, never raised into bolt."""
        try:
            await pending
        except SlackApiError as exc:
            log.warning("slack: couldn't show a reply: %s", exc.response.get("error"))
        except Exception:
            log.exception("slack: couldn't show a reply")


def _errors(reply: Reply, view: Body) -> dict[str, str]:
    """Field errors by block id; a refusal without one goes on the first input."""
    block_ids = [str(b.get("block_id")) for b in view.get("blocks", []) if isinstance(b, dict)]
    errors = {name: text for name, text in reply.field_errors.items() if name in block_ids}
    if not errors and block_ids:
        text = reply.messages[0].text if reply.messages else GENERIC
        errors[block_ids[0]] = text[:1900]
    return errors
