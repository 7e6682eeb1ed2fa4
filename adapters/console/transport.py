"""The console's `Transport`: each delivery goes into the transcript and is printed."""

from __future__ import annotations

from collections.abc import Callable

from adapters.console.render import render
from adapters.console.transcript import Transcript
from bot.commands import CommunityRef
from bot.views import Destination, Message


class ConsoleTransport:
    def __init__(self, transcript: Transcript, write: Callable[[str], None]) -> None:
        self.transcript = transcript
        self.write = write
        self.delivered: set[int] = set()

    async def deliver(
        self, community: CommunityRef, destination: Destination, message: Message, delivery_id: int
    ) -> None:
        if delivery_id in self.delivered:  # a redelivery after a lapsed claim: shown once
            return
        self.delivered.add(delivery_id)
        self.write(render(self.transcript.add_delivery(destination, message)))
