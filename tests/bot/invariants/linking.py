"""Linking a member's two accounts, one on each place, in the state machine (issue 11): the
real commands (`member.link` shows a code; `member.link code=…` on the other place joins the
two; when both volunteer, the reply offers to keep one profile), and the model kept in step:
one volunteer profile per person, its capacity counting what both accounts held."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.stateful import rule

from tests.bot.invariants.model import ACTIVE, EVERYONE, HOMES, PLACES, Helper, display, when

CODE = re.compile(r"code=([A-Z0-9-]+)")


class Linking:
    """The `link` rule of `Infochats` (a mixin: it drives the machine and updates its model)."""

    helpers: dict[str, Helper]
    open_allowance: dict[int, int]  # person id → requests open when they linked

    @rule(
        user=st.sampled_from(EVERYONE),
        from_home=st.booleans(),
        volunteer_there=st.booleans(),
        capacity=st.integers(1, 2),
        keep=st.sampled_from(("this", "other")),
    )
    def link(
        self, user: str, from_home: bool, volunteer_there: bool, capacity: int, keep: str
    ) -> None:
        """A member links their account on the other place to the one at home: a code on
        one, typed on the other (either way round), a profile picked when both volunteer."""
        [other] = [p for p in PLACES.values() if p != HOMES[user]]
        there = f"{user}@{other.external_id}"
        home = self.helpers.get(user)
        if volunteer_there and home is not None and not self.linked(user):
            # The account there volunteers too, with a profile of its own.
            profile = home.profile | {
                "organisation": f"{display(user)} Labs",
                "monthly_capacity": str(capacity),
            }
            self.helpers.setdefault(there, Helper(profile))
            self.do(there, "volunteer.join", **self.helpers[there].profile)
        first, second = (user, there) if from_home else (there, user)
        shown = self.do(first, "member.link")
        assert shown.ok, shown
        found = CODE.search(shown.messages[0].text)
        assert found is not None, shown
        code = found.group(1)
        reply = self.do(second, "member.link", code=code)
        if not reply.ok:
            return
        person_id, account_id = self.member_id(first), self.member_id(second)
        assert person_id is not None and account_id is not None
        members = {m["id"]: m for m in self.rows("members")}
        person_id = members[person_id]["person_id"] or person_id
        profiles = {v["member_id"] for v in self.rows("volunteers")}
        choice = [b for m in reply.messages for b in m.buttons if b.action == "member.link"]
        kept: int | None = None
        if choice:  # both volunteer: nothing linked until they pick
            assert {person_id, account_id} <= profiles, reply
            assert members[account_id]["person_id"] is None, reply
            reply = self.do(second, "member.link", code=code, keep=keep)
            assert reply.ok, reply
            kept = account_id if keep == "this" else person_id
        elif account_id in profiles or person_id in profiles:
            kept = account_id if account_id in profiles else person_id
        self.joined(person_id, account_id, kept)

    def linked(self, user: str) -> bool:
        """Whether the user's account at home is linked to another already."""
        me = self.member_id(user)
        return any(
            m["person_id"] == me or (m["id"] == me and m["person_id"] is not None)
            for m in self.rows("members")
        )

    def joined(self, person_id: int, account_id: int, kept: int | None) -> None:
        """The model after a link: one volunteer (the kept profile) for all the person's
        accounts; the history both held counts against it, and the requests both had open
        stay open (a new one waits until they are fewer than the limit)."""
        members = {m["id"]: m for m in self.rows("members")}
        assert members[account_id]["person_id"] == person_id
        assert members[person_id]["reach_id"] == account_id  # reached where they linked
        keys = [self.key_of(m) for m in members.values() if person_id in (m["id"], m["person_id"])]
        helper = self.helpers.get(self.key_of(members[kept])) if kept is not None else None
        helper = helper or next((self.helpers[k] for k in keys if k in self.helpers), None)
        if helper is not None:
            for key in keys:
                self.helpers[key] = helper
        if helper is not None and helper.joined:
            now = self.clock.now()
            start = now.astimezone(ZoneInfo(helper.profile["timezone"])).replace(
                day=1, hour=0, minute=0, second=0, microsecond=0
            )
            load = sum(
                1
                for i in self.rows("introductions")
                if i["volunteer_id"] == person_id and (when(i["created_at"]) or now) >= start
            )
            load += sum(
                1
                for a in self.rows("asks")
                if a["volunteer_id"] == person_id and a["status"] in ACTIVE
            )
            helper.highest_capacity = max(helper.highest_capacity, load)
        open_now = sum(
            1
            for r in self.rows("requests")
            if r["seeker_id"] == person_id and r["status"] == "open"
        )
        self.open_allowance[person_id] = open_now
