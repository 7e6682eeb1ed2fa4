"""Showing the core's replies in Slack: privately to the actor, by replacing the clicked
message (without its buttons), in a modal, or on the App Home tab. Best effort: a failure
is logged, never raised into bolt."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.modals import modal
from adapters.slack.render import blocks, fallback_text, home_view
from bot.views import Form, Message

log = logging.getLogger(__name__)
Respond = Callable[..., Awaitable[Any]]


async def call(pending: Awaitable[Any]) -> None:
    try:
        await pending
    except SlackApiError as exc:
        log.warning("slack: couldn't show a reply: %s", exc.response.get("error"))
    except Exception:
        log.exception("slack: couldn't show a reply")


class Replies:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    def responder(self, response_url: object) -> Respond | None:
        """Posting to a payload's `response_url` (None without one, e.g. on the home tab),
        through the Web API client's connection pool when it has one."""
        if not isinstance(response_url, str) or not response_url:
            return None
        return AsyncWebhookClient(response_url, session=self.client.session).send

    async def private(self, user_id: str, message: Message, respond: Respond | None) -> None:
        """Only the actor sees it: ephemeral where the click or command came from, else
        (the home tab, a modal) a DM from the app."""
        if respond is None:
            await self.post(user_id, message)
            return
        await call(
            respond(
                text=fallback_text(message),
                blocks=blocks(message),
                response_type="ephemeral",
                replace_original=False,
            )
        )

    async def post(self, channel: str, message: Message) -> None:
        await call(
            self.client.chat_postMessage(
                channel=channel, text=fallback_text(message), blocks=blocks(message)
            )
        )

    async def replace(self, channel: str, ts: str, message: Message) -> None:
        """Replace the clicked message (without its buttons), so nobody clicks twice: with
        the outcome, or what it says now when the click lost (never the click's own copy)."""
        await call(
            self.client.chat_update(
                channel=channel,
                ts=ts,
                text=fallback_text(message),
                blocks=blocks(message, with_buttons=False),
            )
        )

    async def replace_ephemeral(self, respond: Respond, message: Message) -> None:
        await call(
            respond(
                text=fallback_text(message),
                blocks=blocks(message, with_buttons=False),
                replace_original=True,
            )
        )

    async def open_form(
        self, trigger_id: str, form: Form, origin: dict[str, str] | None = None
    ) -> None:
        if trigger_id:
            await call(self.client.views_open(trigger_id=trigger_id, view=modal(form, origin)))

    async def home(self, user_id: str, messages: tuple[Message, ...]) -> None:
        await call(self.client.views_publish(user_id=user_id, view=home_view(messages)))
