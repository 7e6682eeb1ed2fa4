"""The routing transport (each message through its community's platform, a platform not
connected makes its messages wait, one send is bounded) and the supervisor's backoff."""

from __future__ import annotations

import asyncio
import random

import pytest

from adapters.routing import RoutingTransport
from adapters.supervise import Backoff
from bot.commands import CommunityRef
from bot.errors import DeliveryError
from bot.views import Destination, Message

MEMBER = Destination(kind="member", user_ids=("u1",))


class Recording:
    def __init__(self, hang: bool = False) -> None:
        self.sent: list[int] = []
        self.hang = hang

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        if self.hang:
            await asyncio.Event().wait()  # a platform that never answers
        self.sent.append(delivery_id)


async def test_each_message_goes_through_its_communitys_platform() -> None:
    slack, discord = Recording(), Recording()
    router = RoutingTransport({"slack": lambda: slack, "discord": lambda: discord})
    await router.deliver(CommunityRef("slack", "T1", "acme"), MEMBER, Message(text="a"), 1)
    await router.deliver(CommunityRef("discord", "G1", "acme"), MEMBER, Message(text="b"), 2)
    assert (slack.sent, discord.sent) == ([1], [2])


async def test_a_platform_not_connected_or_not_configured_makes_the_message_wait() -> None:
    router = RoutingTransport({"slack": lambda: None}, not_connected_retry=7.0)
    with pytest.raises(DeliveryError, match="slack isn't connected") as raised:
        await router.deliver(CommunityRef("slack", "T1", "acme"), MEMBER, Message(text="a"), 1)
    assert raised.value.retry_after == 7.0 and not raised.value.unknown_outcome
    with pytest.raises(DeliveryError, match="discord isn't configured"):
        await router.deliver(CommunityRef("discord", "G", "x"), MEMBER, Message(text="a"), 2)


async def test_a_send_that_never_ends_is_cut_short_and_doubted() -> None:
    router = RoutingTransport({"slack": lambda: Recording(hang=True)}, send_timeout=0.05)
    with pytest.raises(DeliveryError, match="took longer") as raised:
        await router.deliver(CommunityRef("slack", "T1", "acme"), MEMBER, Message(text="a"), 1)
    assert raised.value.unknown_outcome  # the retry checks whether it arrived


def test_backoff_doubles_from_1_s_to_5_min_with_jitter_down() -> None:
    rng = random.Random(7)
    backoff = Backoff()
    delays = [backoff.delay(n, rng) for n in range(1, 13)]
    bases = [min(300.0, 2.0 ** (n - 1)) for n in range(1, 13)]
    assert all(0.8 * b <= d <= b for d, b in zip(delays, bases, strict=True))
    assert max(delays) <= 300.0 and delays[-1] >= 240.0
