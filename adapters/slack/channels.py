"""Slack channel ids for the community's channel names (#moderators, #introductions, #digest):
mapped in settings, else read once from conversations.list."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient


class Channels:
    def __init__(self, client: AsyncWebClient, mapped: dict[str, str] | None = None) -> None:
        self.client = client
        self.ids = dict(mapped or {})  # channel name → Slack channel id
        self._looked_up = False

    async def id_of(self, name: str) -> str | None:
        name = name.lstrip("#")
        if name not in self.ids and not self._looked_up:
            await self._look_up()
        return self.ids.get(name)

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
        self._looked_up = True


def next_cursor(metadata: object) -> str:
    return str((metadata or {}).get("next_cursor") or "") if isinstance(metadata, dict) else ""
