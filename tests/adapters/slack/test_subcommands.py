"""Every `/infochat` subcommand through Slack gets a private answer or a modal, never the
generic apology (which would mean an unhandled error)."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.app import APOLOGY
from bot.commands import SUBCOMMANDS
from tests.adapters.slack.harness import Slack

TEXTS = [" ".join(words) for words in SUBCOMMANDS] + ["cancel 1", "pick 1 1", "mod approve 1"]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("user", ["USAM", "UMOD"])
async def test_each_subcommand_answers(slack: Slack, text: str, user: str) -> None:
    status, _ = await slack.command(user, text)
    assert status == 200

    async def answered() -> str:
        async with slack.fake.changed:
            await slack.fake.changed.wait_for(
                lambda: bool(slack.fake.of("response") or slack.fake.of("views.open"))
            )
            return json.dumps([c.params for c in slack.fake.calls], ensure_ascii=False)

    seen = await asyncio.wait_for(answered(), 5)
    assert APOLOGY not in seen
