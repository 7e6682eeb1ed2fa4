"""Block Kit rendering of the core's neutral messages and buttons, and the App Home view.
Generic: new core views need no new code here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.text import neutralize, shorten
from bot.views import Button, Form, Message, parse_payload

Block = dict[str, Any]
ACTION_PREFIX = "infochat"
SECTION_LIMIT = 3000
FORM_VALUE = "form:"
HOME_BLOCKS = 100  # Slack's limit for a view


def escape(text: str) -> str:
    """Slack's control characters: user text can never form a link or a mention. The core
    neutralises mentions already; this also holds for text that didn't come through a view."""
    text = neutralize(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# `<target|label>` or `<target>`: a mention, a channel or a link as Slack sends it.
_CONTROL = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def from_slack(text: str) -> str:
    """Text as the member typed it, from text Slack escaped (a slash command's): the three
    entities decoded once, and control sequences (mentions, channels, links, when the app
    asks Slack to escape them) as readable text. Modal values arrive unescaped."""

    def readable(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        sigil = {"@": "@", "#": "#", "!": "@"}.get(target[:1], "")
        shown = label or (target[1:] if sigil else target)
        return sigil + shown if sigil and not shown.startswith(sigil) else shown

    text = _CONTROL.sub(readable, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(text: str, limit: int = 150) -> Block:
    return {"type": "plain_text", "text": shorten(neutralize(text), limit) or " ", "emoji": True}


def fallback_text(message: Message) -> str:
    """The notification text (and what screen readers get)."""
    head = f"{message.title}: " if message.title else ""
    return escape(shorten(head + message.text, SECTION_LIMIT))


def blocks(message: Message, *, with_buttons: bool = True, actions_id: str = "") -> list[Block]:
    out: list[Block] = []
    if message.title:
        out.append({"type": "header", "text": plain(message.title)})
    if message.text:
        out.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": shorten(escape(message.text), SECTION_LIMIT)},
            }
        )
    for start in range(0, len(message.lines), 10):  # a section holds at most 10 fields
        fields = [
            {"type": "mrkdwn", "text": shorten(f"*{escape(x.label)}*\n{escape(x.value)}", 2000)}
            for x in message.lines[start : start + 10]
        ]
        out.append({"type": "section", "fields": fields})
    if with_buttons and message.buttons:
        elements = [button(b, i) for i, b in enumerate(message.buttons[:25])]
        block_id = f"{ACTION_PREFIX}_actions{actions_id}"
        out.append({"type": "actions", "block_id": block_id, "elements": elements})
    return out


def home_view(messages: Iterable[Message]) -> Block:
    """The App Home tab: the messages one under the other, each with its buttons."""
    out: list[Block] = []
    for i, message in enumerate(messages):
        part = [*([{"type": "divider"}] if out else []), *blocks(message, actions_id=f"_{i}")]
        if len(out) + len(part) > HOME_BLOCKS:
            break
        out.extend(part)
    return {"type": "home", "blocks": out}


def button(b: Button, index: int) -> Block:
    """`value` is the payload (action:target); a button that asks for more first carries
    its form instead (`form:{json}`), so a click opens the modal even after a restart."""
    value = b.payload
    if b.form is not None:
        packed = FORM_VALUE + b.form.model_dump_json(exclude_defaults=True)
        value = packed if len(packed) <= 2000 else value
    element: Block = {
        "type": "button",
        "text": plain(b.label, 75),
        "action_id": f"{ACTION_PREFIX}:{index}:{b.action}"[:255],
        "value": value[:2000],
    }
    if b.style != "default":
        element["style"] = b.style
    return element


def clicked(value: str) -> tuple[str, str, Form | None]:
    """(action, target, form to open first) from a clicked button's value. Untrusted."""
    if value.startswith(FORM_VALUE):
        try:
            form = Form.model_validate_json(value[len(FORM_VALUE) :])
        except ValueError:
            return "", "", None
        return form.action, form.target, form
    action, target = parse_payload(value)
    return action, target, None
