from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.adapters.slack.harness import FakeSlack, Slack, start


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[Slack]:
    fake = FakeSlack(admins={"UMOD"})
    world, server = await start(tmp_path, fake)
    try:
        yield world
    finally:
        await world.http.close()
        await server.close()
        await world.core.db.dispose()
