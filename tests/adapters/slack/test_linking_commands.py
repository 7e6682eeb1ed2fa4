"""Linking places and accounts on Slack: `/infochat` takes free text, so the commands reach the
core as typed, from the workspace the member acts in, and are answered privately."""

from __future__ import annotations

from typing import Any

import pytest

from bot.commands import Actor
from tests.adapters.slack.fake_api import COMMUNITY
from tests.adapters.slack.harness import Slack

TEXTS = [
    "link",
    "link code=K7QF-2MXH-9TRW",
    "unlink",
    "mod link-place",
    "mod link-place code=k7qf-2mxh-9trw",
    "mod unlink-place 2",
    "mod places",
]


@pytest.mark.parametrize("text", TEXTS)
async def test_linking_commands_reach_the_core_as_typed_and_are_answered_privately(
    slack: Slack, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    forward = slack.core.dispatch_text
    seen: list[tuple[Actor, str]] = []

    async def recording(actor: Actor, words: str, key: str) -> Any:
        seen.append((actor, words))
        return await forward(actor, words, key)

    monkeypatch.setattr(slack.core, "dispatch_text", recording)
    status, body = await slack.command("UMOD", text)
    assert (status, body) == (200, "")
    (call,) = await slack.fake.wait_for("response")
    assert call.params["response_type"] == "ephemeral"
    ((actor, words),) = seen
    assert words == text
    assert actor.community.platform == "slack"
    assert actor.community.external_id == COMMUNITY.external_id
    assert not slack.fake.of("chat.postMessage")  # nothing public
