"""The outbox `Transport` for Slack: DMs, community channels and group DMs via the Web API."""

from __future__ import annotations

import base64
import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.channels import Channels
from adapters.slack.render import blocks, fallback_text
from bot.commands import CommunityRef
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.views import Attachment, Destination, Message

log = logging.getLogger(__name__)

# Slack errors that no retry will fix: the destination is gone or unreachable.
PERMANENT = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "is_archived",
        "not_in_channel",
        "cannot_dm_bot",
        "user_disabled",
    }
)


class SlackTransport:
    def __init__(self, client: AsyncWebClient, channels: Channels | None = None) -> None:
        self.client = client
        self.channels = channels or Channels(client)
        self._delivered: set[int] = set()

    async def deliver(
        self, community: CommunityRef, destination: Destination, message: Message, delivery_id: int
    ) -> None:
        if delivery_id in self._delivered:  # redelivered after a lapsed claim: sent once
            return
        try:
            channel = await self._channel(destination)
            await self.client.chat_postMessage(
                channel=channel,
                text=fallback_text(message),
                blocks=blocks(message),
                unfurl_links=False,
                unfurl_media=False,
            )
            self._delivered.add(delivery_id)
            for attachment in message.attachments:
                await self._upload(channel, attachment)
        except SlackApiError as exc:
            raise _translate(exc, destination) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable: {exc.__class__.__name__}") from exc

    async def _channel(self, destination: Destination) -> str:
        if destination.kind in ("member", "group"):
            if not destination.user_ids:
                raise PermanentDeliveryError(f"no members to send to in {destination.kind}")
            opened = await self.client.conversations_open(users=",".join(destination.user_ids))
            return str(opened["channel"]["id"])
        name = (destination.channel or "").lstrip("#")
        channel = await self.channels.id_of(name)
        if channel is None:
            log.error(
                "slack: no channel named #%s; add it or map it in INFOCHAT_SLACK_CHANNELS", name
            )
            raise PermanentDeliveryError(f"no Slack channel named #{name}")
        return channel

    async def _upload(self, channel: str, attachment: Attachment) -> None:
        """Attach a file after its message. The message is already delivered: a failed upload
        is logged and skipped, never retried into a second copy of the message."""
        try:
            data = base64.b64decode(attachment.data, validate=True)
            await self.client.files_upload_v2(
                channel=channel, file=data, filename=attachment.filename, title=attachment.filename
            )
        except Exception as exc:
            reason = exc.__class__.__name__
            if isinstance(exc, SlackApiError) and isinstance(exc.response.data, dict):
                reason = str(exc.response.data.get("error") or reason)
            log.warning(
                "slack: attachment %s not uploaded to %s (%s); the message was sent without it",
                attachment.filename,
                channel,
                reason,
            )


def _translate(exc: SlackApiError, destination: Destination) -> Exception:
    response = exc.response
    if response.status_code == 429:
        retry_after = _float(
            response.headers.get("Retry-After") or response.headers.get("retry-after")
        )
        return DeliveryError("Slack rate limit (429)", retry_after=retry_after or 1.0)
    error = str(response.get("error", "")) if isinstance(response.data, dict) else ""
    if error in PERMANENT:
        log.error("slack: giving up on a message to %s: %s", destination, error)
        return PermanentDeliveryError(f"Slack says {error}")
    return DeliveryError(f"Slack error: {error or response.status_code}")


def _float(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None
