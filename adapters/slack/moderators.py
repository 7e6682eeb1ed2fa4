"""Who is a moderator in a Slack workspace: admins and owners, plus (a setting chooses) the
members of the moderators' channel or of a user group. Looked up through the Web API and
cached briefly; the core re-checks `Actor.is_moderator` on every moderator action anyway."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.channels import Channels, next_cursor

log = logging.getLogger(__name__)
Source = Literal["channel", "usergroup", "admins"]


class Moderators:
    def __init__(
        self,
        client: AsyncWebClient,
        source: Source = "admins",
        usergroup: str = "",
        channel: str = "moderators",
        channels: Channels | None = None,
        ttl: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.source = source
        self.usergroup = usergroup
        self.channel = channel
        self.channels = channels or Channels(client)
        self.ttl = ttl
        self.monotonic = monotonic
        self._admins: dict[str, tuple[float, bool]] = {}
        self._members: tuple[float, frozenset[str]] | None = None

    async def is_moderator(self, user_id: str) -> bool:
        if not user_id:
            return False
        return await self._is_admin(user_id) or user_id in await self._cached_members()

    async def _is_admin(self, user_id: str) -> bool:
        now = self.monotonic()
        cached = self._admins.get(user_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        try:
            user = (await self.client.users_info(user=user_id)).get("user") or {}
            admin = bool(user.get("is_admin") or user.get("is_owner"))
        except SlackApiError as exc:
            log.warning(
                "slack: users.info failed (%s); treating as a member", exc.response.get("error")
            )
            return False
        self._admins[user_id] = (now, admin)
        return admin

    async def name_of(self, user_id: str) -> str:
        """A member's display name (for one picked in a form, before they first act);
        "" when Slack won't say."""
        try:
            user = (await self.client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as exc:
            log.warning("slack: users.info failed (%s); no name", exc.response.get("error"))
            return ""
        profile = user.get("profile") or {}
        for name in (profile.get("display_name"), profile.get("real_name"), user.get("name")):
            if isinstance(name, str) and name.strip():
                return name.strip()[:100]
        return ""

    async def _cached_members(self) -> frozenset[str]:
        if self.source == "admins":
            return frozenset()
        now = self.monotonic()
        if self._members is not None and now - self._members[0] < self.ttl:
            return self._members[1]
        try:
            members = await (self._group() if self.source == "usergroup" else self._channel())
        except SlackApiError as exc:
            log.warning(
                "slack: couldn't read the moderators' %s (%s); only admins moderate for now",
                self.source,
                exc.response.get("error"),
            )
            return frozenset()
        self._members = (now, members)
        return members

    async def _group(self) -> frozenset[str]:
        users = (await self.client.usergroups_users_list(usergroup=self.usergroup)).get("users")
        return frozenset(str(u) for u in users or ())

    async def _channel(self) -> frozenset[str]:
        channel = await self.channels.id_of(self.channel)
        if channel is None:
            log.warning("slack: no channel #%s; only admins moderate for now", self.channel)
            return frozenset()
        members: set[str] = set()
        cursor = ""
        while True:
            page = await self.client.conversations_members(
                channel=channel, limit=200, cursor=cursor or None
            )
            members.update(str(u) for u in page.get("members") or ())
            cursor = next_cursor(page.get("response_metadata"))
            if not cursor:
                return frozenset(members)
