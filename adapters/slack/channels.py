"""Slack channel ids for the community's channel names (#moderators, #introductions, #digest):
mapped in settings, else read once from conversations.list."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

# A name that wasn't there is looked up again after this long: a channel created (or the
# bot invited) later is found without a restart.
LOOK_AGAIN_AFTER = 300.0


class Channels:
    def __init__(
        self,
        client: AsyncWebClient,
        mapped: dict[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ids = dict(mapped or {})  # channel name → Slack channel id
        self.monotonic = monotonic
        self._looked_up_at: float | None = None

    async def id_of(self, name: str) -> str | None:
        name = name.lstrip("#")
        stale = (
            self._looked_up_at is None or self.monotonic() - self._looked_up_at >= LOOK_AGAIN_AFTER
        )
        if name not in self.ids and stale:
            await self._look_up()
        return self.ids.get(name)

    async def admins(self) -> list[str]:
        """Workspace admins and owners (people, not bots): who hears about a channel the
        bot can't post in."""
        found: list[str] = []
        cursor = ""
        while True:
            page = await self.client.users_list(limit=200, cursor=cursor or None)
            for user in page.get("members", []):
                if (user.get("is_admin") or user.get("is_owner")) and not (
                    user.get("deleted") or user.get("is_bot")
                ):
                    found.append(str(user["id"]))
            cursor = next_cursor(page.get("response_metadata"))
            if not cursor:
                return found

    async def _look_up(self) -> None:
        """Read the workspace's channel names once (paginated); mapped names win."""
        cursor = ""
        while True:
            page = await self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor or None,
            )
            found: list[dict[str, object]] = page.get("channels", [])
            for channel in found:
                self.ids.setdefault(str(channel["name"]), str(channel["id"]))
            cursor = next_cursor(page.get("response_metadata"))
            if not cursor:
                break
        self._looked_up_at = self.monotonic()


def next_cursor(metadata: object) -> str:
    return str((metadata or {}).get("next_cursor") or "") if isinstance(metadata, dict) else ""
