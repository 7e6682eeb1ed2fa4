"""The console's line grammar: who acts, and what they type or press.

    <member> /infochat <command> [key=value ...]     the slash command a chat user types
    <member> press <button> [on <N>|on #channel] [key=value ...]
    show <member> | show #<channel> | members [@<place>] | help | quit
    wait <amount>                                    demo mode: time passes (3d, 12h, 2w, 30m)

A member or a channel is on the console's default place, or on another console place when
written `<name>@<place>` (`dana@campus /infochat request …`, `show #moderators@campus`). Each
console place is a place of its own (at first a community of its own), like a second Slack
workspace or Discord server; `<name>@<default place>` is the same as `<name>`.

`<button>` is a number or a label (case-insensitive; a prefix is enough). Lines starting
with `# ` or `#!`, or whose first word is `#`, are comments; `#moderators` is a channel.
A line ending in `#! refused` expects the bot to refuse it (a script's deliberate mistake).
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from bot.commands import ArgValue, add_arg
from bot.errors import InfochatError

MAX_LINE = 16_000
RESERVED = frozenset({"show", "help", "members", "quit", "exit", "wait"})
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
USAGE = (
    "A line is `<member> /infochat …`, `<member> press <button> [on <number>]`, "
    "`show <member>`, `show #<channel>`, `members`, `wait <3d>`, `help` or `quit`."
)


class GrammarError(InfochatError):
    """A line the console can't read; the message says how to write it."""


@dataclass(frozen=True)
class Slash:
    member: str
    text: str  # everything after the member name, from `/infochat` on


@dataclass(frozen=True)
class Press:
    member: str
    button: str  # a number or a label (prefix)
    on: str | None = None  # a message number, or "#channel"
    values: dict[str, ArgValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Show:
    target: str  # a member name, or "#channel"


@dataclass(frozen=True)
class Meta:
    word: str  # "help", "members" or "quit"
    place: str | None = None  # `members @campus`: only that place's members


@dataclass(frozen=True)
class Wait:
    delta: timedelta  # how far the demo clock moves forward


ConsoleLine = Slash | Press | Show | Meta | Wait

_AMOUNT = re.compile(r"(\d{1,4})\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)")
_UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
MAX_WAIT = timedelta(days=366)


_REFUSED = re.compile(r"\s+#!\s*refused\s*$", re.IGNORECASE)


def expects_refusal(line: str) -> tuple[str, bool]:
    """The line without a trailing `#! refused`, and whether it had one."""
    match = _REFUSED.search(line)
    return (line[: match.start()], True) if match else (line, False)


def is_comment(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("#!") or stripped.split(maxsplit=1)[:1] == ["#"]


def member_name(word: str) -> str:
    """A member name as the console knows it: lower case, `@` optional, letters of any script."""
    name = unicodedata.normalize("NFC", word.strip().removeprefix("@")).lower()
    if not (
        0 < len(name) <= 40
        and name[0].isalnum()
        and all(ch.isalnum() or ch in "_.-" for ch in name)
    ):
        raise GrammarError(
            f"“{shorten(word)}” can't be a member name: use letters, digits, _ - . "
            "(up to 40 characters)."
        )
    if name in RESERVED:
        raise GrammarError(f"“{name}” is a console word, not a member name. {USAGE}")
    return name


def place_name(word: str) -> str:
    """A console place's name: lower case, letters of any script, digits, `_ - .`."""
    name = unicodedata.normalize("NFC", word.strip()).lower()
    if not (
        0 < len(name) <= 40
        and name[0].isalnum()
        and all(ch.isalnum() or ch in "_.-" for ch in name)
    ):
        raise GrammarError(
            f"“{shorten(word)}” can't be a place name: use letters, digits, _ - . "
            "(up to 40 characters), e.g. `dana@campus`."
        )
    return name


def member_handle(word: str) -> str:
    """`dana` (the default place) or `dana@campus` (another console place), checked."""
    name, at, place = word.strip().removeprefix("@").partition("@")
    if not at:
        return member_name(word)
    return f"{member_name(name)}@{place_name(place)}"


def parse_line(line: str) -> ConsoleLine | None:
    """One console line → what it asks for; None for blank lines and comments."""
    if len(line) > MAX_LINE:
        raise GrammarError(f"That line is too long ({len(line)} characters; {MAX_LINE} at most).")
    stripped = line.strip()
    if not stripped or is_comment(stripped):
        return None
    head, _, rest = stripped.partition(" ")
    rest = rest.strip()
    word = head.lower()
    if word == "members" and rest.startswith("@"):
        if len(rest.split()) != 1:
            raise GrammarError("`members` lists everyone; `members @campus` one place's members.")
        return Meta("members", place_name(rest[1:]))
    if word in ("help", "members", "quit", "exit"):
        if rest:
            raise GrammarError(f"`{word}` takes nothing after it.")
        return Meta("quit" if word == "exit" else word)
    if word == "show":
        return _show(rest)
    if word == "wait":
        return _wait(rest)
    if head.startswith("#"):
        raise GrammarError(f"To see a channel, type `show {shorten(head)}`. {USAGE}")
    if head.startswith("/"):
        raise GrammarError("Start with the member who acts, e.g. `sam /infochat help`.")
    member = member_handle(head)
    verb, _, tail = rest.partition(" ")
    if verb.lower() in ("/infochat", "infochat"):
        return Slash(member, rest)
    if verb.lower() == "press":
        return _press(member, tail.strip())
    if not rest:
        raise GrammarError(f"What does {member} do? {USAGE}")
    if verb.startswith("/"):
        raise GrammarError(f"The command is /infochat, e.g. `{member} /infochat help`.")
    raise GrammarError(f"After the member name comes /infochat or press. {USAGE}")


def _wait(rest: str) -> Wait:
    match = _AMOUNT.fullmatch(rest.strip().lower())
    if not match:
        raise GrammarError("Wait how long? e.g. `wait 3d`, `wait 12h`, `wait 2w`, `wait 30m`.")
    delta = int(match.group(1)) * _UNITS[match.group(2)[0]]
    if not timedelta(0) < delta <= MAX_WAIT:
        raise GrammarError("Wait between one minute and a year.")
    return Wait(delta)


def _show(rest: str) -> Show:
    words = rest.split()
    if len(words) != 1:
        raise GrammarError("Show what? `show <member>` or `show #<channel>`.")
    target = words[0]
    if target.startswith("#"):
        return Show("#" + channel_handle(target[1:]))
    return Show(member_handle(target))


def channel_handle(text: str) -> str:
    """`moderators` or `moderators@campus`, lower case."""
    channel, at, place = text.lower().partition("@")
    if not channel or len(channel) > 80:
        raise GrammarError("Name the channel, e.g. `show #moderators`.")
    return f"{channel}@{place_name(place)}" if at else channel


def _press(member: str, text: str) -> Press:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise GrammarError(f"I couldn't read that: {exc} (check your quotes).") from None
    label: list[str] = []
    values: dict[str, ArgValue] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if sep and _KEY.fullmatch(key):
            add_arg(values, key.lower(), value)
        elif values:
            raise GrammarError(f"Put the button before its values: “{shorten(word)}”.")
        else:
            label.append(word)
    on = None
    if len(label) >= 3 and label[-2].lower() == "on":
        on = label[-1].lower()
        label = label[:-2]
        if not (on.isdigit() or (on.startswith("#") and len(on) > 1)):
            raise GrammarError("`on` takes a message number or a #channel, e.g. `on 12`.")
        if on.startswith("#"):
            on = "#" + channel_handle(on[1:])
    button = " ".join(label).strip()
    if not button:
        raise GrammarError(
            f"Press which button? e.g. `{member} press Accept` or `{member} press 1`."
        )
    return Press(member, button, on, values)


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
