"""Members as Slack knows them (users.info): the name to show and whether they are a
workspace admin. Cached, bounded and expiring; `cached()` never calls Slack, so code on the
way to an ack reads only what is already known."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
MAX_NAME = 100


@dataclass(frozen=True)
class Person:
    name: str  # display name, else real name, else the handle; "" when Slack has none
    is_admin: bool  # a workspace admin or owner


class Users:
    def __init__(
        self,
        client: AsyncWebClient,
        ttl: float = 60.0,
        size: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl  # seconds before `get` asks Slack again
        self.size = size
        self.monotonic = monotonic
        self._known: OrderedDict[str, tuple[float, Person]] = OrderedDict()

    def cached(self, user_id: str) -> Person | None:
        """What is known of `user_id`, however old; None if nothing is. No Web API call."""
        found = self._known.get(user_id)
        return found[1] if found else None

    async def get(self, user_id: str) -> Person | None:
        """Fresh within `ttl`, else read again; the last known value when Slack won't say."""
        found = self._known.get(user_id)
        if found is not None and self.monotonic() - found[0] < self.ttl:
            return found[1]
        if not user_id:
            return None
        try:
            user = (await self.client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as exc:
            log.warning("slack: users.info failed (%s)", exc.response.get("error"))
            return found[1] if found else None
        person = Person(name_of(user), bool(user.get("is_admin") or user.get("is_owner")))
        self._known[user_id] = (self.monotonic(), person)
        self._known.move_to_end(user_id)
        while len(self._known) > self.size:
            self._known.popitem(last=False)
        return person


def name_of(user: dict[str, object]) -> str:
    """The name Slack shows: the profile's display name, then real name, then the handle."""
    profile = user.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    for name in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(name, str) and name.strip():
            return " ".join(name.split())[:MAX_NAME]
    return ""
