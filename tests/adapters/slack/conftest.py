from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.adapters.slack.harness import FakeSlack, Slack, running


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[Slack]:
    async with running(tmp_path, FakeSlack(admins={"UMOD"})) as world:
        yield world
