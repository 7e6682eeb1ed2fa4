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
from adapters.slack.users import Users

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
        users: Users | None = None,
    ) -> None:
        self.client = client
        self.source = source
        self.usergroup = usergroup
        self.channel = channel
        self.channels = channels or Channels(client)
        self.ttl = ttl
        self.monotonic = monotonic
        self.users = users or Users(client, ttl, monotonic=monotonic)
        self._members: tuple[float, frozenset[str]] | None = None

    async def is_moderator(self, user_id: str) -> bool:
        """Read from Slack when the cache is older than `ttl`: after an ack, never before."""
        if not user_id:
            return False
        person = await self.users.get(user_id)
        return bool(person and person.is_admin) or user_id in await self._cached_members()

    def known(self, user_id: str) -> bool | None:
        """What the caches say, however old, without calling Slack; None when they don't
        know (a moderator action then has to ask)."""
        person = self.users.cached(user_id)
        if person is not None and person.is_admin:
            return True
        if self.source != "admins" and self._members is not None and user_id in self._members[1]:
            return True
        if person is None or (self.source != "admins" and self._members is None):
            return None
        return False

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
