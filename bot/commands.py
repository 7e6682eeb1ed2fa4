"""Commands: what an adapter hands the core, and the one text grammar all adapters share.

An adapter turns a slash command, a button or a submitted form into one `Command` carrying
the actor and an idempotency key, and calls `Infochat.dispatch`. Nothing in a command is
trusted: the core re-checks that the actor may do what it says.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bot.errors import InvalidInput
from bot.text import clean

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


MODERATOR_ACTIONS = "mod."  # every action that requires a moderator is named mod.*


def is_moderator_action(action: str) -> bool:
    """Whether `action` is only for moderators: adapters check the platform's roles for
    these, and need not for any other."""
    return action.startswith(MODERATOR_ACTIONS)


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
    ("link",): ("member.link", ("code",)),
    ("unlink",): ("member.unlink", ()),
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
    ("mod", "health"): ("mod.health", ("period",)),
    ("mod", "export"): ("mod.export", ("period",)),
    ("mod", "setup"): ("mod.setup", ()),
    ("mod", "places"): ("mod.places", ()),
    ("mod", "link-place"): ("mod.link_place", ("code",)),
    ("mod", "unlink-place"): ("mod.unlink_place", ("target",)),
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


# What the storage holds (see storage/schema.py): longer ids are not ids.
MAX_PLATFORM = 20
MAX_ID = 100
MAX_NAME = 200
MAX_TARGET = 200
MAX_KEY = 200
_ARG_NAME = re.compile(r"\w{1,40}")
# Lone surrogates can't be stored by any engine, and NUL not by PostgreSQL; other control
# characters are dropped from values too (newlines and tabs stay: multi-line fields).
_UNSTORABLE = {"Cs", "Cc"}
_KEPT_CONTROL = {"\n", "\r", "\t"}
BAD_ID = "That command came with an id I can't read, so nothing was done. Please try again."


def checked(command: Command) -> Command:
    """The command as the core may take it: ids, target and key are plain text (refused
    otherwise, never altered: an id names someone), names are cleaned like any text field,
    and argument values lose what no storage can hold (lone surrogates, control characters).
    """
    target = _plain_id(command.target, MAX_TARGET, spaces_ok=True)
    args: dict[str, ArgValue] = {}
    for name, value in command.args.items():
        if not _ARG_NAME.fullmatch(name):
            raise InvalidInput("That command had a field name I can't read, so nothing was done.")
        args[name] = _storable(value) if isinstance(value, str) else tuple(map(_storable, value))
    return replace(
        command,
        actor=checked_actor(command.actor),
        key=_plain_id(command.key, MAX_KEY),
        target=target,
        args=args,
    )


def checked_actor(actor: Actor) -> Actor:
    """The actor and their community with readable ids and clean names (see `checked`)."""
    ref = actor.community
    community = CommunityRef(
        platform=_plain_id(ref.platform, MAX_PLATFORM),
        external_id=_plain_id(ref.external_id, MAX_ID),
        name=clean(ref.name)[:MAX_NAME],
    )
    user_id = _plain_id(actor.user_id, MAX_ID)
    name = clean(actor.display_name)[:MAX_NAME] or user_id
    return replace(actor, community=community, user_id=user_id, display_name=name)


def _plain_id(value: str, limit: int, *, spaces_ok: bool = False) -> str:
    """An id as given, if it is one: not empty (a target may be), not padded with spaces,
    and without control, invisible or surrogate characters."""
    if not (value or spaces_ok) or len(value) > limit:
        raise InvalidInput(BAD_ID)
    if not spaces_ok and value != value.strip():
        raise InvalidInput(BAD_ID)
    if any(unicodedata.category(ch)[0] == "C" for ch in value):
        raise InvalidInput(BAD_ID)
    return value


def _storable(value: str) -> str:
    return "".join(
        ch for ch in value if ch in _KEPT_CONTROL or unicodedata.category(ch) not in _UNSTORABLE
    )
