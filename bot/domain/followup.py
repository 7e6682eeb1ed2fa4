"""After the chat (R12): an introduction's states and the rounds of "Did your chat happen?"."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class IntroductionStatus(StrEnum):
    INTRODUCED = "introduced"  # waiting for the chat, or for someone to confirm it
    COMPLETED = "completed"  # someone confirmed it happened: the ledger counts it
    NOT_HAPPENED = "not_happened"  # someone said it didn't happen (and nobody confirmed it)


# Follow-up job periods: one after the introduction, one after a picked slot, then one per
# "Not yet", at most AGAIN_ROUNDS of those.
AFTER_INTRODUCTION = "intro"
AFTER_SLOT = "slot"
AGAIN_ROUNDS = 3


def again_period(round_: int) -> str:
    return f"again-{round_}"


def round_of(period: str) -> int:
    """0 for the first questions (after the introduction or the slot), n for `again-n`."""
    prefix, _, number = period.partition("-")
    return int(number) if prefix == "again" and number.isdigit() else 0


def slot_ahead(slot_start: datetime | None, minutes: int, now: datetime) -> bool:
    """A slot is picked and hasn't ended yet: the question waits for the follow-up after it."""
    return slot_start is not None and slot_start + timedelta(minutes=minutes) > now
