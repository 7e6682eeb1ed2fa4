"""One root for every error the core raises on purpose.

A `UserError` becomes a clear private reply and changes nothing (its transaction is rolled
back). Anything else is a bug: it is logged with context and the user gets a generic apology.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.views import Message


class InfochatError(Exception):
    """Root of all infochat errors."""


class UserError(InfochatError):
    """Something the acting member can fix; the message is shown to them privately."""

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class InvalidInput(UserError):
    """Missing, oversized or malformed input. `fields` maps a form field to its problem."""


class NotFound(UserError):
    """An id that doesn't exist, or that the actor may not see (we don't tell which)."""


class Forbidden(UserError):
    """The actor lacks the role for this action."""


class AlreadyDone(UserError):
    """A repeated or out-of-order click: the state already moved on. `current` is what the
    clicked message says now (set by the core, see `services.current_views`)."""

    current: Message | None = None


class DeliveryError(InfochatError):
    """A transport could not deliver a message right now; the outbox will retry.

    `unknown_outcome`: the platform may have accepted it all the same (e.g. a timeout after
    the request went out), so the retry checks before it sends again."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, unknown_outcome: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.unknown_outcome = unknown_outcome


class PermanentDeliveryError(InfochatError):
    """A transport can never deliver this message (e.g. the member left); no retry."""
