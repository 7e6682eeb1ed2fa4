"""Console text for the core's neutral views: labelled, numbered, buttons in brackets."""

from __future__ import annotations

import re
import textwrap
import unicodedata

from adapters.console.transcript import ConsoleMessage
from bot.views import Form, FormField, Message

WIDTH = 100
INDENT = "    "
_ITEM = re.compile(r"(?:[•\-*]|\d{1,2}\.) ")


# Zero-width characters (the core defuses `@everyone` with one) show as nothing, as in a chat.
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def safe(text: str) -> str:
    """Text that can't drive the terminal: control characters become visible escapes."""
    out = []
    for ch in text:
        if ch in _ZERO_WIDTH:
            continue
        if ch == "\n" or unicodedata.category(ch)[0] != "C":
            out.append(ch)
        elif ch == "\t":
            out.append("    ")
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    return "".join(out)


def label(item: ConsoleMessage, *, places: bool = False) -> str:
    """`places`: more than one place is in play, so every name says its place."""

    def at(handle: str | None) -> str:
        handle = handle or ""
        return handle if not places or "@" in handle else f"{handle}@{item.place}"

    members = [at(member) for member in item.members]
    if item.kind == "reply":
        return f"[to {members[0]}]" if item.ok else f"[to {members[0]} · refused]"
    if item.kind == "dm":
        return f"[dm → {', '.join(members)}]"
    if item.kind == "group":
        return f"[#{at(item.channel)}: {' + '.join(members)}]"
    if item.kind == "admins":
        return f"[to {at('admins')}]"
    return f"[#{at(item.channel)}]"


def render(item: ConsoleMessage, *, places: bool = False) -> str:
    head = f"({item.number}) {label(item, places=places)}"
    if item.updated:
        head += " (updated)"
    return head + " " + render_message(item.message).lstrip()


def render_message(message: Message) -> str:
    out: list[str] = []
    if message.title:
        out.append(INDENT + safe(message.title))
    for paragraph in safe(message.text).split("\n"):
        out.append(_wrap(paragraph, INDENT, INDENT + _hang(paragraph)) if paragraph.strip() else "")
    for line in message.lines:
        name = safe(line.label) + ": "
        values = safe(line.value).split("\n") or [""]
        hang = INDENT + " " * min(len(name), 24)
        out.append(_wrap(values[0], INDENT + name, hang + _hang(values[0])))
        out.extend(_wrap(v, hang, hang + _hang(v)) for v in values[1:])
    if message.buttons:
        buttons = "  ".join(f"[{i}] {safe(b.label)}" for i, b in enumerate(message.buttons, 1))
        out.append(_wrap(buttons, INDENT, INDENT))
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) if out else INDENT


def render_update(item: ConsoleMessage) -> str:
    return f"({item.number}) is now: " + render_message(item.message).lstrip()


def field_prompt(field: FormField) -> str:
    """`  Label [a/b] (default: x): ` for one form field."""
    parts = [safe(field.label)]
    if field.choices:
        parts.append("[" + "/".join(safe(c) for c in field.choices) + "]")
    if field.default:
        parts.append(f"(default: {safe(field.default)})")
    elif field.placeholder and not field.multiple:
        empty = "" if field.required else "empty: "
        parts.append(f"({empty}{safe(field.placeholder)})")
    elif not field.required and "optional" not in field.label.casefold():
        parts.append("(optional)")
    if field.multiple:
        parts.append("(one per line, an empty line ends)")
    return "  " + " ".join(parts) + ": "


def form_heading(form: Form, member: str) -> str:
    return (
        f"  ┌ {safe(form.title)} ({member}; an empty line keeps the default, "
        "`/cancel` cancels the form)"
    )


def _hang(paragraph: str) -> str:
    """Continuation lines of a bullet or numbered item line up with its text."""
    match = _ITEM.match(paragraph)
    return " " * len(match.group()) if match else ""


def _wrap(text: str, first: str, rest: str) -> str:
    if not text:
        return first.rstrip()
    return textwrap.fill(
        text,
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=True,
        break_on_hyphens=False,
    )
