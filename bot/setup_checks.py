"""A setup checklist: lines that are fine (✔) or not (✘, with how to fix it).

`infochat doctor` prints one for the whole configuration; `/infochat mod setup` and the
message the bot sends when it first meets a community show one for that community. The
platform's part comes from a `SetupProbe` the adapter provides (channels exist and the bot
can post there, roles, permissions); the core adds the community's settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings


@dataclass(frozen=True)
class Check:
    ok: bool
    label: str  # what was checked, e.g. "#moderators exists and the bot is in it"
    fix: str = ""  # when not ok: what to do, in words an organiser can follow

    def line(self) -> str:
        mark = "✔" if self.ok else "✘"
        return f"{mark} {self.label}" + ("" if self.ok or not self.fix else f" — {self.fix}")


class SetupProbe(Protocol):
    async def check(self, community: CommunityRef, settings: CommunitySettings) -> list[Check]:
        """The platform's checks for one community. Never raises: a check that can't be
        made (the platform is unreachable) is a ✘ line saying so."""
        ...
