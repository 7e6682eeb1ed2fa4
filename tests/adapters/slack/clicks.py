"""Members acting in Slack, for flow tests: what each member sees (DMs, group DMs, channels,
private replies), pressing a button by its label, filling the modal a button opens.

`settle()` waits for bolt's listeners that go on after `ack()`: bolt runs each as an asyncio
task (`run_ack_function_asynchronously`, its async listener runner); that name is the one
bolt internal these tests rely on.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from tests.adapters.slack.harness import Call, Slack, elements, view_of

BOLT_LISTENER = "run_ack_function_asynchronously"


async def settle() -> None:
    while True:
        pending = [
            t
            for t in asyncio.all_tasks()
            if not t.done() and BOLT_LISTENER in getattr(t.get_coro(), "__qualname__", "")
        ]
        if not pending:
            return
        await asyncio.wait(pending, timeout=10)


@dataclass(frozen=True)
class Shown:
    """A message the bot showed: posted in `channel` at `ts`, or privately (ephemeral)."""

    call: Call
    channel: str = ""
    ts: str = ""

    @property
    def ephemeral(self) -> bool:
        return not self.channel

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return elements(self.call.params.get("blocks") or [])

    @property
    def text(self) -> str:
        return json.dumps(self.call.params, ensure_ascii=False)


def seen_by(slack: Slack, user: str) -> list[Shown]:
    """What `user` saw, oldest first: DMs, group DMs with them, their private replies."""
    out = []
    for call in slack.fake.calls:
        channel = str(call.params.get("channel", ""))
        if call.method == "chat.postMessage" and (
            channel in (user, f"D{user}") or (channel.startswith("G") and user in channel)
        ):
            out.append(Shown(call, channel, str(call.result.get("ts", ""))))
        elif call.method == "response" and f"/response/{user}/" in f"/{call.path}/":
            out.append(Shown(call))
    return out


def in_channel(slack: Slack, channel: str) -> list[Shown]:
    return [
        Shown(c, channel, str(c.result.get("ts", "")))
        for c in slack.fake.of("chat.postMessage")
        if c.params.get("channel") == channel
    ]


def latest_with(shown: list[Shown], label: str) -> tuple[Shown, dict[str, Any]]:
    for message in reversed(shown):
        for button in message.buttons:
            if button["text"]["text"].lower().startswith(label.lower()):
                return message, button
    raise AssertionError(f"no button {label!r} in {[m.text[:80] for m in shown]}")


@dataclass(frozen=True)
class Click:
    status: int
    body: str  # the HTTP answer (a modal submit's errors)
    calls: list[Call]  # the Web API calls it caused

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def replaced(self, message: Shown) -> bool:
        """The clicked message was replaced by one without buttons."""
        if message.ephemeral:
            found = [c for c in self.of("response") if c.params.get("replace_original") is True]
        else:
            found = [
                c
                for c in self.of("chat.update")
                if (c.params["channel"], c.params["ts"]) == (message.channel, message.ts)
            ]
        return bool(found) and not any(elements(c.params.get("blocks") or []) for c in found)


async def say(slack: Slack, user: str, text: str) -> list[Call]:
    before = len(slack.fake.calls)
    status, _ = await slack.command(user, text)
    assert status == 200
    await settle()
    await slack.worker.drain()
    return slack.fake.calls[before:]


async def press(
    slack: Slack, user: str, label: str, where: str = "", **values: Any
) -> tuple[Shown, Click]:
    """`user` presses the latest `label` button they see (or in channel `where`); a button
    with a form opens a modal, which is submitted with `values`."""
    shown = in_channel(slack, where) if where else seen_by(slack, user)
    message, button = latest_with(shown, label)
    before = len(slack.fake.calls)
    opened = len(slack.fake.of("views.open"))
    kind = "ephemeral" if message.ephemeral else "message"
    status, body = await slack.post(
        slack.click_body(user, button, message.channel, message.ts, kind=kind)
    )
    await settle()
    if button["value"].startswith("form:"):
        modal = view_of(slack.fake.of("views.open")[opened])
        status, body = await slack.post(slack.submit_body(user, modal, values))
        await settle()
    await slack.worker.drain()
    return message, Click(status, body, slack.fake.calls[before:])


async def jobs(slack: Slack) -> int:
    """Run the due jobs and deliver what they sent."""
    ran = await slack.core.job_runner().run_due()
    await slack.worker.drain()
    return ran
