"""Who is a moderator in a Slack workspace: admins and owners, plus members of a configured
user group. Looked up through the Web API and cached briefly; the core re-checks anyway."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class Moderators:
    def __init__(
        self,
        client: AsyncWebClient,
        usergroup: str = "",
        ttl: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.usergroup = usergroup
        self.ttl = ttl
        self.monotonic = monotonic
        self._admins: dict[str, tuple[float, bool]] = {}
        self._group: tuple[float, frozenset[str]] | None = None

    async def is_moderator(self, user_id: str) -> bool:
        return await self._is_admin(user_id) or user_id in await self._group_members()

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

    async def _group_members(self) -> frozenset[str]:
        if not self.usergroup:
            return frozenset()
        now = self.monotonic()
        if self._group is not None and now - self._group[0] < self.ttl:
            return self._group[1]
        try:
            users = (await self.client.usergroups_users_list(usergroup=self.usergroup)).get("users")
        except SlackApiError as exc:
            log.warning("slack: usergroups.users.list failed (%s)", exc.response.get("error"))
            return frozenset()
        members = frozenset(str(u) for u in users or ())
        self._group = (now, members)
        return members
