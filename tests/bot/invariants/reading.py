"""What the state machine reads of the world between steps (a mixin of `Infochats`): the
database's rows through a read-only connection beside the core, who a member is in the cast,
and rows or actors drawn for a step."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from bot.commands import CommunityRef
from tests.bot.invariants.model import HOMES, MOSTLY, PLACES, Helper, Snapshot


class Reading:
    reader: sqlite3.Connection
    known_places: dict[str, int]
    helpers: dict[str, Helper]

    account: Callable[[str], tuple[CommunityRef, str]]  # the machine's: user → (place, id)

    def snapshot(self) -> Snapshot:
        cur = self.reader.cursor()
        cur.execute("BEGIN")
        try:
            names = [
                r[0]
                for r in cur.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
            return {
                name: [dict(r) for r in cur.execute(f'SELECT * FROM "{name}" ORDER BY rowid')]
                for name in names
            }
        finally:
            cur.execute("COMMIT")

    def rows(self, table: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.reader.execute(f"SELECT * FROM {table} ORDER BY rowid")]

    @property
    def place_ids(self) -> dict[str, int]:
        """The places' ids by their external ids (read once both places are there)."""
        if len(self.known_places) < len(PLACES):
            rows = self.reader.execute("SELECT id, external_id FROM places")
            self.known_places = {str(external_id): int(id) for id, external_id in rows}
        return self.known_places

    def user_of(self, member_id: int) -> str:
        """Who to act as for the member: their name, or "user@place" off their home place."""
        [row] = self.reader.execute("SELECT * FROM members WHERE id = ?", (member_id,))
        return self.key_of(dict(row))

    def key_of(self, account: dict[str, Any]) -> str:
        """`user_of` for a member row read already."""
        user_id = str(account["user_id"])
        place = next(key for key, id in self.place_ids.items() if id == account["place_id"])
        home = HOMES.get(user_id)
        return user_id if home is not None and home.external_id == place else f"{user_id}@{place}"

    def helper_of(self, member_id: int, members: dict[int, dict[str, Any]]) -> Helper | None:
        """The model of the member when they are a volunteer of the cast: the one whose own
        account is the member's, or one linked to it (accounts act as their person)."""
        person = members[member_id]["person_id"] or member_id
        for account in members.values():
            if person in (account["id"], account["person_id"]):
                helper = self.helpers.get(self.key_of(account))
                if helper is not None:
                    return helper
        return None

    def member_id(self, user: str) -> int | None:
        place, user_id = self.account(user)
        row = self.reader.execute(
            "SELECT id FROM members WHERE place_id = ? AND user_id = ?",
            (self.place_ids.get(place.external_id), user_id),
        ).fetchone()
        return int(row[0]) if row else None

    def pick_row(
        self, data: st.DataObject, table: str, status: str
    ) -> tuple[str, dict[str, Any] | None]:
        """Mostly an existing row, preferably in `status`; sometimes a made-up or garbled id."""
        rows = self.rows(table)
        preferred = [r for r in rows if r["status"] == status] or rows
        if preferred and data.draw(st.sampled_from(MOSTLY), label=f"real {table}"):
            row = data.draw(st.sampled_from(preferred), label=table)
            written = data.draw(st.sampled_from(["", "", "", "#"]), label="prefix")
            return f"{written}{row['id']}", row
        return data.draw(st.sampled_from(["1", "57", "x", "", "-1", "1" * 13]), label="id"), None

    def owner_or(self, data: st.DataObject, owner_id: int | None, others: tuple[str, ...]) -> str:
        """Usually the member a row belongs to; sometimes anyone else (who must be refused)."""
        if owner_id is not None and data.draw(st.sampled_from(MOSTLY), label="owner"):
            return self.user_of(owner_id)
        return data.draw(st.sampled_from(others), label="someone")
