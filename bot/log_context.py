"""What the log lines of the current task are about: the command being dispatched (its key
and action) or the outbox message being delivered (its row id).

The core and the delivery worker set these around their work; the log formatters
(`adapters/logs.py`) read them, so every line logged meanwhile, by infochat or by a library
it calls, carries the key or id. Context variables follow the asyncio task (a task started
inside copies them), so concurrent commands never see each other's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_command_key: ContextVar[str | None] = ContextVar("infochat_command_key", default=None)
_action: ContextVar[str | None] = ContextVar("infochat_action", default=None)
_delivery_id: ContextVar[int | None] = ContextVar("infochat_delivery_id", default=None)


@contextlib.contextmanager
def command(key: str, action: str) -> Iterator[None]:
    """Lines logged inside are about this command."""
    key_token = _command_key.set(key)
    action_token = _action.set(action)
    try:
        yield
    finally:
        _action.reset(action_token)
        _command_key.reset(key_token)


@contextlib.contextmanager
def delivery(delivery_id: int) -> Iterator[None]:
    """Lines logged inside are about this outbox message."""
    token = _delivery_id.set(delivery_id)
    try:
        yield
    finally:
        _delivery_id.reset(token)


def current() -> dict[str, str | int]:
    """The fields that are set now: `command_key`, `action`, `delivery_id`."""
    fields: dict[str, str | int] = {}
    key, action, delivery_id = _command_key.get(), _action.get(), _delivery_id.get()
    if key is not None:
        fields["command_key"] = key
    if action is not None:
        fields["action"] = action
    if delivery_id is not None:
        fields["delivery_id"] = delivery_id
    return fields
