"""The outbox `Transport` for Slack: DMs, community channels and group DMs via the Web API.

Every message carries its outbox row in its metadata (`infochat_delivery`). Slack has no
idempotency key, so when a row is retried after an unknown outcome (`in_doubt`: the last
attempt crashed or its lease lapsed mid-send) the transport reads the newest messages of the
conversation first and sends nothing where the row already is. A retry after a known outcome
(a 429, an error Slack answered) costs no extra call.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.channels import Channels
from adapters.slack.render import blocks, escape, fallback_text
from adapters.slack.seen import Seen
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
EVENT_TYPE = "infochat_delivery"
# How many of a conversation's newest messages are searched for a row in doubt: a retry
# comes minutes after the attempt it doubts. 15 is the most Slack lets apps distributed
# outside the Marketplace read at once.
HISTORY_LIMIT = 15


@dataclass(frozen=True)
class Delivery:
    id: int
    in_doubt: bool

    def metadata(self) -> dict[str, Any]:
        return {"event_type": EVENT_TYPE, "event_payload": {"delivery_id": self.id}}


class SlackTransport:
    def __init__(self, client: AsyncWebClient, channels: Channels | None = None) -> None:
        self.client = client
        self.channels = channels or Channels(client)
        self._delivered = Seen()

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        if self._delivered.seen(str(delivery_id)):  # this process delivered it already
            return
        delivery = Delivery(delivery_id, in_doubt)
        try:
            try:
                if destination.kind == "admins":
                    await self._to_workspace_admins(destination, message, delivery)
                else:
                    await self._send(destination, message, delivery)
            except NoChannel as missing:
                await self._to_admins(destination, message, missing, delivery)
        except SlackApiError as exc:
            problem = _translate(exc)
            if isinstance(problem, PermanentDeliveryError) and destination.kind == "channel":
                await self._to_admins(destination, message, problem, delivery)
            elif isinstance(problem, PermanentDeliveryError) and len(destination.user_ids) > 1:
                await self._to_each_member(destination, message, problem, delivery)
            else:
                if isinstance(problem, PermanentDeliveryError):
                    log.error("slack: giving up on a message to %s: %s", destination, problem)
                raise problem from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The request may have reached Slack: the retry checks before sending again.
            raise DeliveryError(
                f"Slack unreachable: {exc.__class__.__name__}", unknown_outcome=True
            ) from exc
        self._delivered.first_time(str(delivery_id))

    async def _send(self, destination: Destination, message: Message, delivery: Delivery) -> None:
        await self._post(await self._channel(destination), message, delivery)

    async def _post(
        self, channel: str, message: Message, delivery: Delivery, note: str = ""
    ) -> None:
        """The message (after `note`) in `channel`, unless a doubted attempt put it there."""
        if delivery.in_doubt and await self._already_in(channel, delivery):
            log.warning(
                "slack: message %s is already in %s (an earlier attempt's outcome was "
                "unknown); not sent again",
                delivery.id,
                channel,
            )
            return
        if note:
            await self.client.chat_postMessage(channel=channel, text=note)
        await self.client.chat_postMessage(
            channel=channel,
            text=fallback_text(message),
            blocks=blocks(message),
            unfurl_links=False,
            unfurl_media=False,
            metadata=delivery.metadata(),
        )
        for attachment in message.attachments:
            await self._upload(channel, attachment)

    async def _already_in(self, channel: str, delivery: Delivery) -> bool:
        """Whether the conversation's newest messages include this delivery. A rate limit
        is raised (the retry stays in doubt); any other failure to look means sending."""
        try:
            history = await self.client.conversations_history(
                channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True
            )
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                raise
            log.warning(
                "slack: can't look for message %s in %s (%s); sending it",
                delivery.id,
                channel,
                _error(exc),
            )
            return False
        return any(_carries(found, delivery) for found in history.get("messages") or [])

    async def _to_each_member(
        self,
        destination: Destination,
        message: Message,
        problem: PermanentDeliveryError,
        delivery: Delivery,
    ) -> None:
        """A group DM couldn't be opened (someone left): each member who can still be
        reached gets the message in their own DM, so it isn't lost."""
        reached = await self._to_each(destination.user_ids, message, delivery)
        if not reached:
            log.error("slack: giving up on a message to %s: %s", destination, problem)
            raise problem
        log.warning(
            "slack: no group DM with %s (%s); sent to %s separately instead",
            ", ".join(destination.user_ids),
            problem,
            ", ".join(reached),
        )

    async def _to_admins(
        self,
        destination: Destination,
        message: Message,
        problem: PermanentDeliveryError,
        delivery: Delivery,
    ) -> None:
        """A community channel the bot can't post in (missing, archived, bot not invited):
        workspace admins get the message by DM, with what to fix, so it isn't lost."""
        name = (destination.channel or "").lstrip("#")
        try:
            admins = await self.channels.admins()
        except SlackApiError as exc:
            log.error(
                "slack: can't post in #%s (%s) nor list admins (%s)", name, problem, _error(exc)
            )
            raise problem from exc
        note = (
            f"infochat couldn't post this in #{escape(name)} ({escape(str(problem))}). Create "
            "the channel and invite the app (`/invite @infochat`), or map it in "
            "INFOCHAT_SLACK_CHANNELS; until then it comes to workspace admins."
        )
        reached = await self._to_each(admins, message, delivery, note)
        if not reached:
            log.error("slack: giving up on a message to #%s: %s; no admin reachable", name, problem)
            raise problem
        log.error(
            "slack: can't post in #%s (%s); sent to workspace admins %s instead",
            name,
            problem,
            ", ".join(reached),
        )

    async def _to_workspace_admins(
        self, destination: Destination, message: Message, delivery: Delivery
    ) -> None:
        """The people who set the bot up: each workspace admin and owner by DM. When none
        can be reached, the moderators' channel (and from there the usual fallback)."""
        reached = await self._to_each(await self.channels.admins(), message, delivery)
        if reached:
            return
        name = (destination.channel or "").lstrip("#")
        log.warning("slack: no workspace admin could be reached; posting in #%s instead", name)
        await self._send(destination.model_copy(update={"kind": "channel"}), message, delivery)

    async def _to_each(
        self, users: Iterable[str], message: Message, delivery: Delivery, note: str = ""
    ) -> list[str]:
        """The message (after `note`) in each user's own DM; the users it reached."""
        reached = []
        for user in users:
            try:
                opened = await self.client.conversations_open(users=user)
                channel = str(opened["channel"]["id"])
                await self._post(channel, message, delivery, note)
                reached.append(user)
            except SlackApiError as exc:
                log.warning("slack: %s can't be reached either: %s", user, _error(exc))
        return reached

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
            raise NoChannel(f"no Slack channel named #{name}")
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
            reason = (isinstance(exc, SlackApiError) and _error(exc)) or exc.__class__.__name__
            log.warning(
                "slack: attachment %s not uploaded to %s (%s); the message was sent without it",
                attachment.filename,
                channel,
                reason,
            )
            await self._say_not_attached(channel, attachment)

    async def _say_not_attached(self, channel: str, attachment: Attachment) -> None:
        note = f"({escape(attachment.filename)} couldn't be attached here, sorry.)"
        with contextlib.suppress(Exception):
            await self.client.chat_postMessage(channel=channel, text=note)


def _carries(message: dict[str, Any], delivery: Delivery) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(
        metadata.get("event_type") == EVENT_TYPE
        and str(payload.get("delivery_id")) == str(delivery.id)
    )


class NoChannel(PermanentDeliveryError):
    """The community channel isn't in the workspace (or the bot can't see it)."""


def _translate(exc: SlackApiError) -> Exception:
    response = exc.response
    if response.status_code == 429:
        retry_after = _float(
            response.headers.get("Retry-After") or response.headers.get("retry-after")
        )
        return DeliveryError("Slack rate limit (429)", retry_after=retry_after or 1.0)
    error = _error(exc)
    if error in PERMANENT:
        return PermanentDeliveryError(f"Slack says {error}")
    # A server error may come after the message was posted.
    unknown = response.status_code >= 500
    return DeliveryError(f"Slack error: {error or response.status_code}", unknown_outcome=unknown)


def _float(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def _error(exc: SlackApiError) -> str:
    data = exc.response.data
    return str(data.get("error", "")) if isinstance(data, dict) else ""
