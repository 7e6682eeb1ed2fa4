"""Everything the console has shown, numbered: replies to the actor and the bot's deliveries.

Members press buttons on messages they can see: their own DMs and replies, group
introductions they are part of, and (moderators) the channels of their place.

Members and channels are named by handles: `dana` and `moderators` on the default place,
`dana@campus` and `moderators@campus` on another console place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from adapters.console.grammar import GrammarError, shorten
from bot.storage.link_codes import ALPHABET, GROUP_SIZE, GROUPS
from bot.views import Button, Destination, Message

# A link code as the bot shows it (`K7QF-2MXH-9TRW`): what `{code}` in a line stands for.
_CODE = re.compile(
    r"(?<![A-Z0-9])" + "-".join([f"[{ALPHABET}]{{{GROUP_SIZE}}}"] * GROUPS) + r"(?![A-Z0-9])"
)

Kind = Literal["reply", "dm", "channel", "group", "admins"]


@dataclass(frozen=True)
class ConsoleMessage:
    number: int
    kind: Kind
    message: Message
    members: tuple[str, ...] = ()  # reply/dm: the member; group: everyone in it
    channel: str | None = None  # channel and group messages
    ok: bool = True  # False for a refusal
    original: Message | None = None  # as first shown, when a button press replaced it
    place: str = ""  # the console place it was shown on

    @property
    def updated(self) -> bool:
        return self.original is not None

    @property
    def sent(self) -> Message:
        """The message as it was first shown."""
        return self.original or self.message

    def private(self) -> bool:
        return self.kind in ("reply", "dm")

    def involves(self, member: str) -> bool:
        return self.kind != "channel" and member in self.members


class Transcript:
    def __init__(self, default_place: str | None = None) -> None:
        self.messages: list[ConsoleMessage] = []
        self.deliveries: list[tuple[Destination, Message]] = []
        self.delivery_ids: set[int] = set()  # the outbox rows shown, so none is shown twice
        # None: the place of the first message shown becomes the default.
        self.default_place = default_place
        self.places: set[str] = set() if default_place is None else {default_place}

    @property
    def several_places(self) -> bool:
        """More than one place in play: then every label says which place it is on."""
        return len(self.places) > 1

    def place_of(self, handle: str) -> str:
        """The place of a member or channel handle."""
        _, at, place = handle.partition("@")
        return place if at else (self.default_place or "")

    def handle(self, name: str, place: str) -> str:
        """`name` on `place` as the console writes it: bare on the default place."""
        if self.default_place is None:
            self.default_place = place
            self.places.add(place)
        return name if place == self.default_place else f"{name}@{place}"

    def add_reply(self, member: str, message: Message, *, ok: bool) -> ConsoleMessage:
        item = ConsoleMessage(
            self._next(), "reply", message, (member,), ok=ok, place=self.place_of(member)
        )
        return self._add(item)

    def add_delivery(
        self,
        destination: Destination,
        message: Message,
        delivery_id: int | None = None,
        place: str | None = None,
    ) -> ConsoleMessage:
        """`place`: the console place it went out on (None: the default place)."""
        self.deliveries.append((destination, message))
        if delivery_id is not None:
            self.delivery_ids.add(delivery_id)
        number = self._next()
        where = place if place is not None else (self.default_place or "")
        users = tuple(self.handle(user, where) for user in destination.user_ids)
        channel = self.handle(destination.channel, where) if destination.channel else None
        if destination.kind == "channel":
            item = ConsoleMessage(number, "channel", message, channel=channel, place=where)
        elif destination.kind == "group":
            item = ConsoleMessage(number, "group", message, users, channel=channel, place=where)
        elif destination.kind == "admins":  # those who set the bot up: no one in particular
            item = ConsoleMessage(number, "admins", message, place=where)
        else:
            item = ConsoleMessage(number, "dm", message, users, place=where)
        return self._add(item)

    def update(self, number: int, message: Message) -> ConsoleMessage:
        old = self.get(number)
        if old is None:
            raise KeyError(number)
        new = replace(old, message=message, original=old.sent)
        self.messages[number - 1] = new
        return new

    def last_code(self) -> str | None:
        """The link code the console showed last (to anyone), if any."""
        for item in reversed(self.messages):
            texts = [item.message.text, *(line.value for line in item.message.lines)]
            for text in reversed(texts):
                found = _CODE.findall(text)
                if found:
                    return str(found[-1])
        return None

    def get(self, number: int) -> ConsoleMessage | None:
        return self.messages[number - 1] if 1 <= number <= len(self.messages) else None

    def private_to(self, member: str) -> list[ConsoleMessage]:
        """A member's DMs, private replies and group introductions, oldest first."""
        return [m for m in self.messages if m.involves(member)]

    def in_channel(self, channel: str) -> list[ConsoleMessage]:
        return [m for m in self.messages if m.kind in ("channel", "group") and m.channel == channel]

    def find_button(
        self, member: str, ref: str, *, moderator: bool, on: str | None = None
    ) -> tuple[ConsoleMessage, Button]:
        """The button `member` means by `ref` (a number or a label), on their latest message
        that has one, or on message `on` (a number or `#channel`)."""
        for item in reversed(self._pressable(member, moderator, on)):
            button = match_button(item, ref)
            if button is not None:
                return item, button
        where = f"message {on}" if on and not on.startswith("#") else (on or f"{member}'s messages")
        raise GrammarError(f"There is no “{shorten(ref)}” button on {where}.")

    def _pressable(self, member: str, moderator: bool, on: str | None) -> list[ConsoleMessage]:
        place = self.place_of(member)
        if on is None:
            return [
                m
                for m in self.messages
                if m.involves(member) or (moderator and m.channel and m.place == place)
            ]
        if on.startswith("#"):
            if self.place_of(on[1:]) != place:
                raise GrammarError(
                    f"{on} is on the place “{self.place_of(on[1:])}”; {member} is on “{place}”."
                )
            return self.in_channel(on[1:])
        item = self.get(int(on))
        if item is None:
            raise GrammarError(f"There is no message {on}.")
        if item.private() and member not in item.members:
            raise GrammarError(f"Message {on} was sent privately to {', '.join(item.members)}.")
        return [item]

    def _next(self) -> int:
        return len(self.messages) + 1

    def _add(self, item: ConsoleMessage) -> ConsoleMessage:
        if self.default_place is None:
            self.default_place = item.place
        self.places.add(item.place)
        self.messages.append(item)
        return item


def match_button(item: ConsoleMessage, ref: str) -> Button | None:
    """A button by number (1-based) or label: exact first, else a unique prefix."""
    buttons = item.message.buttons
    if ref.isdigit():
        index = int(ref)
        return buttons[index - 1] if 1 <= index <= len(buttons) else None
    wanted = ref.casefold()
    exact = [b for b in buttons if b.label.casefold() == wanted]
    if exact:
        return exact[0]
    prefixed = [b for b in buttons if b.label.casefold().startswith(wanted)]
    if len(prefixed) > 1:
        labels = ", ".join(b.label for b in prefixed)
        raise GrammarError(
            f"“{shorten(ref)}” could be several buttons on message {item.number}: {labels}."
        )
    return prefixed[0] if prefixed else None
