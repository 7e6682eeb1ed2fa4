"""A bounded memory of recent ids."""

from __future__ import annotations

from collections import OrderedDict


class Seen:
    """Ids seen lately, the oldest forgotten first: a retried Events API delivery, or an
    outbox row delivered again after a lapsed claim, is handled once."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, key: str) -> bool:
        return key in self._ids

    def first_time(self, event_id: str) -> bool:
        if not event_id or event_id in self._ids:
            return not event_id
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True
