"""Commands: what an adapter hands the core, and the one text grammar all adapters share.

An adapter turns a slash command, a button or a submitted form into one `Command` carrying
the actor and an idempotency key, and calls `Infochat.dispatch`. Nothing in a command is
trusted: the core re-checks that the actor may do what it says.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.errors import InvalidInput

ArgValue = str | tuple[str, ...]
Args = Mapping[str, ArgValue]


@dataclass(frozen=True)
class CommunityRef:
    platform: str  # "console", "slack", "discord"
    external_id: str  # Slack team id, Discord guild id, console community name
    name: str = ""


@dataclass(frozen=True)
class Actor:
    community: CommunityRef
    user_id: str
    display_name: str
    # Set by the adapter from platform roles it verified (admin, moderator role, user group).
    is_moderator: bool = False


@dataclass(frozen=True)
class Command:
    actor: Actor
    action: str
    key: str  # idempotency key: a platform event/action/interaction id, or a fresh uuid
    target: str = ""
    args: Args = field(default_factory=dict)


# `/infochat <words> [positional] [key=value ...]` → action, plus the names positional
# values take for that action.
SUBCOMMANDS: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {
    ("help",): ("help", ()),
    ("request",): ("request.create", ()),
    ("status",): ("request.status", ()),
    ("cancel",): ("request.cancel", ("target",)),
    ("pick",): ("request.pick", ("target", "choice")),
    ("me",): ("member.me", ()),
    ("home",): ("member.home", ()),
    ("me", "export"): ("member.export", ()),
    ("me", "delete"): ("member.delete", ()),
    ("availability",): ("volunteer.availability", ()),
    ("volunteer", "join"): ("volunteer.join", ()),
    ("volunteer", "edit"): ("volunteer.edit", ()),
    ("volunteer", "show"): ("volunteer.show", ()),
    ("volunteer", "pause"): ("volunteer.pause", ("until",)),
    ("volunteer", "resume"): ("volunteer.resume", ()),
    ("volunteer", "leave"): ("volunteer.leave", ()),
    ("mod", "queue"): ("mod.queue", ()),
    ("mod", "approve"): ("mod.approve", ("target",)),
    ("mod", "deny"): ("mod.deny", ("target",)),
    ("mod", "audit"): ("mod.audit", ()),
    ("mod", "settings"): ("mod.settings", ()),
    ("mod", "ledger"): ("mod.ledger", ()),
    ("mod", "digest"): ("mod.digest", ()),
}

# Words that start two-word commands (`mod queue`): alone, or with `help`, they show the
# group's own help (`/infochat mod`), unless the word is also a command (`me`).
GROUPS = frozenset(words[0] for words in SUBCOMMANDS if len(words) == 2)

ALIASES = {
    "q": "questions",
    "question": "questions",
    "org": "organisation",
    "organization": "organisation",
    "company": "organisation",
    "tz": "timezone",
    "time_zone": "timezone",
    "within": "time_frame",
    "timeframe": "time_frame",
    "capacity": "monthly_capacity",
    "minutes_offered": "minutes",
    "language": "languages",
    "format": "format",
    "formats": "formats",
    "topic": "topic",
    "topics": "topics",
    "affiliation": "affiliations",
    "window": "windows",
}

MAX_COMMAND_TEXT = 8000


@dataclass(frozen=True)
class ParsedText:
    action: str
    target: str
    args: dict[str, ArgValue]


def parse_text(text: str) -> ParsedText:
    """Parse the text after `/infochat` (the command name itself is optional).

    Values are `key=value` with shell-style quoting; a key given twice collects a list
    (`q="first?" q="second?"`). Unknown subcommands raise `InvalidInput` with the usage.
    """
    if len(text) > MAX_COMMAND_TEXT:
        raise InvalidInput(f"That command is too long (over {MAX_COMMAND_TEXT} characters).")
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise InvalidInput(f"I couldn't read that command: {exc} (check your quotes).") from exc
    if words and words[0].lower() in ("/infochat", "infochat"):
        words = words[1:]
    if not words:
        return ParsedText("help", "", {})
    action, positional_names, size, group = _subcommand(words)
    rest = words[size:]
    args: dict[str, ArgValue] = {}
    positional: list[str] = []
    for word in rest:
        key, sep, value = word.partition("=")
        if sep and key and key.replace("_", "").isalnum():
            add_arg(args, ALIASES.get(key.lower(), key.lower()), value)
        else:
            positional.append(word)
    if len(positional) > len(positional_names):
        extra = " ".join(positional[len(positional_names) :])[:60]
        raise InvalidInput(f'I didn\'t understand “{extra}”. Use key=value, e.g. topic="data".')
    target = group
    for name, value in zip(positional_names, positional, strict=False):
        if name == "target":
            target = value.lstrip("#")
        else:
            add_arg(args, name, value)
    if "id" in args and not target:
        raw = args.pop("id")
        target = raw if isinstance(raw, str) else raw[0]
    return ParsedText(action, target, args)


def _subcommand(words: list[str]) -> tuple[str, tuple[str, ...], int, str]:
    """The action the first words name, its positional names, how many words it took, and
    the group whose help it is (`mod`, `volunteer help`; not `me`, a command on its own)."""
    head = [w.lower() for w in words[:2]]
    alone = len(head) == 1 and (head[0],) not in SUBCOMMANDS
    if head[0] in GROUPS and (alone or head[1:] == ["help"]):
        return "help", (), len(head), head[0]
    for size in (2, 1):
        found = SUBCOMMANDS.get(tuple(head[:size]))
        if found:
            return found[0], found[1], size, ""
    if head[0] in GROUPS:
        raise InvalidInput(
            f"I don't know the command “{head[0]} {head[1][:40]}”. Try `/infochat {head[0]} help`."
        )
    raise InvalidInput(f"I don't know the command “{words[0][:40]}”. Try `/infochat help`.")


def add_arg(args: dict[str, ArgValue], key: str, value: str) -> None:
    if key in args:
        old = args[key]
        args[key] = (*((old,) if isinstance(old, str) else old), value)
    else:
        args[key] = value


def arg_str(args: Args, key: str, default: str = "") -> str:
    value = args.get(key, default)
    if isinstance(value, tuple):
        raise InvalidInput(f"Give {key} only once.", fields={key: "Give this only once."})
    return value


def arg_list(args: Args, key: str) -> tuple[str, ...]:
    """A list argument: repeated keys, or one value separated by `|` (or `,` for short items)."""
    value = args.get(key)
    if value is None:
        return ()
    if isinstance(value, tuple):
        return value
    return (value,)
