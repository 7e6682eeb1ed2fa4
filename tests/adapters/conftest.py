from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import World

if TYPE_CHECKING:
    from tests.adapters.two_platforms import Both


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No INFOCHAT_* variable or infochat.toml of the developer's leaks into a test."""
    for name in list(os.environ):
        if name.upper().startswith("INFOCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def both(world: World, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Both]:
    """Slack and Discord in one process on `world`'s core (`tests/adapters/two_platforms.py`),
    Discord answering directly, however busy the machine is (as in the Discord tests)."""
    from adapters.discord import replies
    from tests.adapters.two_platforms import both_platforms

    monkeypatch.setattr(replies, "DEFER_AFTER", 60.0)
    async with both_platforms(world) as running:
        yield running
