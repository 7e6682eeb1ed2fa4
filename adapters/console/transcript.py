"""Everything the console has shown, numbered: replies to the actor and the bot's deliveries.

Members press buttons on messages they can see: their own DMs and replies, group
introductions they are part of, and (moderators) the channels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from adapters.console.grammar import GrammarError, shorten
from bot.views import Button, Destination, Message

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
    def __init__(self) -> None:
        self.messages: list[ConsoleMessage] = []
        self.deliveries: list[tuple[Destination, Message]] = []
        self.delivery_ids: set[int] = set()  # the outbox rows shown, so none is shown twice

    def add_reply(self, member: str, message: Message, *, ok: bool) -> ConsoleMessage:
        return self._add(ConsoleMessage(self._next(), "reply", message, (member,), ok=ok))

    def add_delivery(
        self, destination: Destination, message: Message, delivery_id: int | None = None
    ) -> ConsoleMessage:
        self.deliveries.append((destination, message))
        if delivery_id is not None:
            self.delivery_ids.add(delivery_id)
        number = self._next()
        if destination.kind == "channel":
            item = ConsoleMessage(number, "channel", message, channel=destination.channel)
        elif destination.kind == "group":
            item = ConsoleMessage(
                number, "group", message, destination.user_ids, channel=destination.channel
            )
        elif destination.kind == "admins":  # those who set the bot up: no one in particular
            item = ConsoleMessage(number, "admins", message)
        else:
            item = ConsoleMessage(number, "dm", message, destination.user_ids)
        return self._add(item)

    def update(self, number: int, message: Message) -> ConsoleMessage:
        old = self.get(number)
        if old is None:
            raise KeyError(number)
        new = replace(old, message=message, original=old.sent)
        self.messages[number - 1] = new
        return new

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
        if on is None:
            return [m for m in self.messages if m.involves(member) or (moderator and m.channel)]
        if on.startswith("#"):
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
