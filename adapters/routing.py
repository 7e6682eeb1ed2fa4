"""The outbox's transport when several platforms run in one process: each message goes out
through the transport of the platform of the place it goes out on (the outbox hands over that
place's `CommunityRef`; a community may live on a Slack workspace and a Discord server)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from bot.commands import CommunityRef
from bot.errors import DeliveryError
from bot.outbox import Transport
from bot.views import Destination, Message

# A platform that isn't connected yet: its messages wait this long before the next try, and
# the worker goes on with the others'.
NOT_CONNECTED_RETRY = 10.0
# The worker sends one message at a time: one send may take this long at most, so a slow
# or unreachable platform holds up the others' deliveries no longer than this.
SEND_TIMEOUT = 30.0


class RoutingTransport:
    def __init__(
        self,
        transports: Mapping[str, Callable[[], Transport | None]],
        *,
        send_timeout: float = SEND_TIMEOUT,
        not_connected_retry: float = NOT_CONNECTED_RETRY,
    ) -> None:
        self.transports = dict(transports)  # platform name → its transport, None while down
        self.send_timeout = send_timeout
        self.not_connected_retry = not_connected_retry

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        current = self.transports.get(community.platform)
        transport = current() if current is not None else None
        if transport is None:
            state = "isn't connected" if current is not None else "isn't configured"
            raise DeliveryError(
                f"{community.platform} {state}", retry_after=self.not_connected_retry
            )
        try:
            async with asyncio.timeout(self.send_timeout):
                await transport.deliver(
                    community, destination, message, delivery_id, in_doubt=in_doubt
                )
        except TimeoutError:
            raise DeliveryError(
                f"{community.platform} took longer than {self.send_timeout:g} s",
                unknown_outcome=True,
            ) from None
