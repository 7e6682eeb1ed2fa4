"""DESIGN.md §3's invariants, checked after every step of the state machine."""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis.stateful import (
    invariant,
)

from bot.commands import Command
from bot.views import Reply
from tests.bot.invariants.model import (
    ACTIVE,
    ANSWERS,
    CONTACT,
    Decline,
    Outbox,
    Snapshot,
    paused,
    reach_of,
    when,
    without_keys,
)
from tests.support import RecordingTransport


class Checks:
    """The DESIGN invariants, checked after every step of `Infochats` (a mixin: it reads
    the machine's model and database)."""

    def check_step(
        self, command: Command | None, reply: Reply | None, before: Snapshot, after: Snapshot
    ) -> None:
        """What one command (or, with none, one round of due jobs) did: compare the database
        before and after it."""
        if command is not None and reply is not None:
            text = " ".join(m.text for m in reply.messages)
            assert "went wrong" not in text, (command, reply)  # no unexpected exception
            recorded = {r["key"]: r for r in before["processed_commands"]}
            if command.key in recorded:
                assert reply.replay
                first = Reply.model_validate_json(recorded[command.key]["reply"])
                assert reply.model_copy(update={"replay": False}) == first
                assert after == before
                return
            keys = [r["key"] for r in after["processed_commands"]]
            assert keys == [r["key"] for r in before["processed_commands"]] + [command.key]
            if not reply.ok:  # a refusal changes nothing but remembering its key
                assert without_keys(after) == without_keys(before), (command, reply)
                return
        else:
            assert after["processed_commands"] == before["processed_commands"]

        old_outbox = {r["id"]: r for r in before["outbox"]}
        assert all(old_outbox[r["id"]] == r for r in after["outbox"] if r["id"] in old_outbox)
        assert len(after["outbox"]) >= len(old_outbox)  # nothing lost or rewritten
        new_messages = [Outbox.of(r) for r in after["outbox"] if r["id"] not in old_outbox]
        users = {m["id"]: m for m in after["members"]}
        # (A link tells the person where they were reached until then.)
        linking = command is not None and command.action == "member.link"
        earlier = {m["id"]: m for m in before["members"]} if linking else users
        self.check_places(new_messages, users, earlier)

        def dm(member: dict[str, Any], needle: str, button: tuple[str, str] | None = None) -> bool:
            """The member was sent this, where they are reached."""
            address = reach_of(member, users)
            return any(
                m.kind == "member"
                and m.reaches(address)
                and needle in m.text
                and (button is None or button in m.buttons)
                for m in new_messages
            )

        actor = None
        if command is not None:
            place_id = self.place_ids[command.actor.community.external_id]
            actor = next(
                m
                for m in after["members"]
                if (m["place_id"], m["user_id"]) == (place_id, command.actor.user_id)
            )
            if actor["person_id"] is not None:  # a linked account acts as its person
                actor = users[actor["person_id"]] | {"is_moderator": actor["is_moderator"]}
        action = command.action if command is not None else "jobs"
        target = command.target.lstrip("#") if command is not None else ""
        actor_id = actor["id"] if actor is not None else None
        moderator = actor is not None and bool(actor["is_moderator"])
        requests = {r["id"]: r for r in after["requests"]}
        old_requests = {r["id"]: r for r in before["requests"]}
        old_asks = {a["id"]: a for a in before["asks"]}
        asks_now = {a["id"]: a for a in after["asks"]}

        for ask in after["asks"]:
            old = old_asks.get(ask["id"])
            volunteer = users[ask["volunteer_id"]]
            request = requests[ask["request_id"]]
            seeker = users[request["seeker_id"]]
            if old is None:  # a new ask: through the moderators if the community says so
                self.needs_approval[ask["id"]] = self.approval
                assert (ask["asked_at"] is None) == self.approval, ask
                if self.approval:
                    assert any(
                        m.kind == "channel" and ("mod.approve", str(ask["id"])) in m.buttons
                        for m in new_messages
                    ), ("a proposal the moderators weren't sent", ask)
            if ask["asked_at"] is not None and (old is None or old["asked_at"] is None):
                self.check_asked(ask, volunteer, request, action, actor, after)
                assert dm(volunteer, "", ("ask.accept", str(ask["id"]))), (
                    "an ask the volunteer wasn't sent",
                    ask,
                )
            if old is None or old["status"] == ask["status"]:
                continue
            if ask["status"] in ANSWERS:  # only the volunteer answers for themselves
                answers = {f"ask.{ANSWERS[ask['status']]}"}
                if ask["status"] == "accepted":  # or with the Accept's form, across places
                    answers.add("ask.accept_contact")
                assert action in answers, (action, ask)
                assert (target, actor_id) == (str(ask["id"]), ask["volunteer_id"])
            if ask["status"] == "denied":
                assert (action, target, moderator) == ("mod.deny", str(ask["id"]), True)
            if ask["status"] == "expired":  # only time makes an ask expire, and says so
                assert action == "jobs"
                assert dm(volunteer, f"Ask #{ask['id']} has lapsed"), ask
            if ask["status"] == "declined":
                after_id = max(old_outbox, default=0)
                self.declines.append(
                    Decline(
                        seeker["id"],
                        volunteer["id"],
                        volunteer["display_name"],
                        request["id"],
                        after_id,
                    )
                )
            closed_now = request["status"] == "closed" != old_requests[request["id"]]["status"]
            by_other = actor_id != ask["volunteer_id"]  # not their own leave or pause
            if (
                old["status"] == "asked"
                and ask["status"] == "withdrawn"
                and closed_now
                and by_other
            ):
                assert dm(volunteer, f"ask #{ask['id']}"), (
                    "a withdrawn ask the volunteer wasn't told about",
                    ask,
                )
            if ask["status"] in ("declined", "not_now", "expired") and request["status"] == "open":
                assert dm(seeker, f"Still looking for request #{request['id']}")

        known = {i["id"] for i in before["introductions"]}  # (a link rewrites whose they are)
        new_intros = [i for i in after["introductions"] if i["id"] not in known]
        assert len(new_intros) <= 1
        for intro in new_intros:
            assert action in ("ask.accept", "ask.accept_contact"), (action, intro)
            assert target == str(intro["ask_id"])
            assert old_asks[intro["ask_id"]]["status"] == "asked"
            assert asks_now[intro["ask_id"]]["status"] == "accepted"
            # Together when both are on one place; else each on their own, in the same words.
            pair = (
                reach_of(users[intro["seeker_id"]], users),
                reach_of(users[intro["volunteer_id"]], users),
            )
            together = any(m.kind == "group" and m.addresses == pair for m in new_messages)
            apart = [
                {m.words for m in new_messages if m.kind == "member" and m.reaches(address)}
                for address in pair
            ]
            assert together or set.intersection(*apart), ("an introduction nobody was sent", intro)
            if pair[0][0] != pair[1][0]:
                assert not together
                # Across places only with consent: the Accept said how to reach them.
                assert command is not None
                given = command.args.get("contact")
                assert given and intro["volunteer_contact"] == given, (command, intro)
            else:
                assert intro["volunteer_contact"] is None, intro
        self.check_contacts(reply, actor, new_messages, users, after["introductions"])

        for request in after["requests"]:
            old = old_requests.get(request["id"])
            if old is None or old["status"] == request["status"]:
                continue
            seeker = users[request["seeker_id"]]
            reason = request["close_reason"]
            closed = request["status"] == "closed"
            if request["status"] == "open":
                assert (action, actor_id) == ("request.submit", seeker["id"])
            if closed and reason in ("cancelled", "discarded"):
                assert (actor_id, target) == (seeker["id"], str(request["id"]))
            if closed and reason == "expired":
                assert action == "jobs"
            if closed and reason in ("no_match", "no_one_left", "expired"):
                # Told once: in the reply when the seeker's own command closed it, else by DM.
                in_reply = (
                    reply is not None
                    and actor_id == seeker["id"]
                    and any(f"#{request['id']}" in m.text for m in reply.messages)
                )
                by_dm = dm(seeker, f"#{request['id']}")
                assert in_reply != by_dm, ("closed silently or told twice", request, reply)
            if closed and reason == "denied":
                assert action == "mod.deny" and moderator
                assert dm(seeker, f"didn't approve request #{request['id']}")

    def check_contacts(
        self,
        reply: Reply | None,
        actor: dict[str, Any] | None,
        messages: list[Outbox],
        users: dict[int, dict[str, Any]],
        intros: list[dict[str, Any]],
    ) -> None:
        """A volunteer's contact reaches only themselves, and the seekers they accepted to be
        introduced to (after the Accept: the introduction exists by then)."""

        def person(member_id: int) -> int:
            return int(users[member_id]["person_id"] or member_id)

        accounts = {(m["place_id"], m["user_id"]): m["id"] for m in users.values()}

        def check(text: str, readers: set[int], what: object) -> None:
            for name in set(CONTACT.findall(text)):
                owners = {person(m["id"]) for m in users.values() if m["user_id"] == name}
                allowed = owners | {
                    person(i["seeker_id"]) for i in intros if person(i["volunteer_id"]) in owners
                }
                assert readers <= allowed, ("a contact shared without consent", name, what)

        for m in messages:
            readers = {person(accounts[address]) for address in m.addresses}
            assert m.addresses or not CONTACT.search(m.text), ("a contact for all to see", m)
            check(m.text, readers, m)
        if reply is not None and actor is not None:
            check(reply.model_dump_json(), {int(actor["id"])}, reply)

    def check_asked(
        self,
        ask: dict[str, Any],
        volunteer: dict[str, Any],
        request: dict[str, Any],
        action: str,
        actor: dict[str, Any] | None,
        after: Snapshot,
    ) -> None:
        """An ask was just sent to its volunteer: were they free to be asked?"""
        now = self.clock.now()
        assert when(ask["asked_at"]) == now
        helper = self.helper_of(volunteer["id"], {m["id"]: m for m in after["members"]})
        if helper is not None and helper.joined:  # a volunteer, not a colleague named ad hoc
            assert helper.askable(now), ("asked while paused or gone", ask, helper)
            start = now.astimezone(ZoneInfo(helper.profile["timezone"])).replace(
                day=1, hour=0, minute=0, second=0, microsecond=0
            )
            this_month = sum(
                1
                for i in after["introductions"]
                if i["volunteer_id"] == volunteer["id"] and (when(i["created_at"]) or now) >= start
            )
            waiting = sum(
                1
                for a in after["asks"]
                if a["volunteer_id"] == volunteer["id"] and a["status"] in ACTIVE
            )
            assert this_month + waiting <= helper.capacity, ("asked past capacity", ask)
        if self.needs_approval[ask["id"]]:  # approved just now, by a moderator not the seeker
            assert action == "mod.approve" and actor is not None and actor["is_moderator"]
            assert ask["approved_by"] == actor["id"] != request["seeker_id"]

    def check_places(
        self,
        messages: list[Outbox],
        members: dict[int, dict[str, Any]],
        earlier: dict[int, dict[str, Any]],
    ) -> None:
        """A message to members goes out on a place of the community, to accounts there, each
        the one its member is reached at (their own; a linked member's, the one used last)."""
        accounts = {(m["place_id"], m["user_id"]): m for m in members.values()}
        places = set(self.place_ids.values())
        for m in messages:
            assert m.place_id in places, m
            for address in m.addresses:
                account = accounts.get(address)
                assert account is not None, ("a message to nobody on that place", m)
                person = members[account["person_id"] or account["id"]]
                reached = {reach_of(person, members)}
                if person["id"] in earlier:
                    reached.add(reach_of(earlier[person["id"]], earlier))
                assert address in reached, ("not where they are reached", m)
            # A mention names someone on this place only (elsewhere it shows a foreign id).
            for user_id in json.loads(m.text).get("mentions", ()):
                assert (m.place_id, user_id) in accounts, ("a mention from another place", m)

    def check_delivered(self, snap: Snapshot) -> None:
        """Each delivered message went out on the place its outbox row names."""
        refs = {place_id: external_id for external_id, place_id in self.place_ids.items()}
        transport: RecordingTransport = self.transport
        rows = {r["id"]: r for r in snap["outbox"]}
        for row_id, ref in transport.places.items():
            if row_id in rows:  # (housekeeping forgets old sent messages)
                assert ref.external_id == refs[rows[row_id]["place_id"]], (row_id, ref)

    @invariant()
    def design_invariants(self) -> None:
        """What must hold of the whole database after every step."""
        snap = self.snapshot()
        now = self.clock.now()
        users = {m["id"]: m for m in snap["members"]}
        requests = {r["id"]: r for r in snap["requests"]}
        asks = {a["id"]: a for a in snap["asks"]}
        intros = snap["introductions"]

        # An introduction only for an accepted (and, where required, approved) ask; one per
        # request, and the request is introduced.
        assert len({i["request_id"] for i in intros}) == len(intros)
        for intro in intros:
            ask, request = asks[intro["ask_id"]], requests[intro["request_id"]]
            assert ask["status"] == "accepted"
            assert (ask["request_id"], ask["volunteer_id"]) == (
                intro["request_id"],
                intro["volunteer_id"],
            )
            assert request["status"] == "introduced"
            assert intro["seeker_id"] == request["seeker_id"] != intro["volunteer_id"]
            if self.needs_approval[ask["id"]]:
                assert ask["approved_by"] is not None
                approver = ask["approved_by"]
                assert approver != request["seeker_id"]
                # A moderator on one of their accounts (a linked person acts with the flag of
                # the account they act from).
                assert any(
                    m["is_moderator"]
                    for m in users.values()
                    if approver in (m["id"], m["person_id"])
                ), ask
        introduced = {i["ask_id"] for i in intros}
        assert {a["id"] for a in asks.values() if a["status"] == "accepted"} == introduced
        assert {r["id"] for r in requests.values() if r["status"] == "introduced"} == {
            i["request_id"] for i in intros
        }

        for ask in asks.values():
            if ask["status"] in (*ANSWERS, "asked"):
                assert ask["asked_at"] is not None, ask
            if self.needs_approval[ask["id"]] and ask["asked_at"] is not None:
                assert ask["approved_by"] is not None, ask

        # At most one active ask per request, and only while the request is open.
        active = [a for a in asks.values() if a["status"] in ACTIVE]
        per_request = [a["request_id"] for a in active]
        assert len(per_request) == len(set(per_request)), active
        assert all(requests[a["request_id"]]["status"] == "open" for a in active), active

        # Volunteers as the model knows them; never waiting on an ask while gone or paused,
        # never holding more than their capacity.
        for profile in snap["volunteers"]:
            user = profile["member_id"]
            helper = self.helper_of(user, users)
            assert helper is not None, (user, profile)
            assert bool(profile["active"]) == helper.active
            assert paused(when(profile["paused_until"]), now) == paused(helper.paused_until, now)
            assert profile["monthly_capacity"] == helper.capacity
            waiting = [a for a in active if a["volunteer_id"] == profile["member_id"]]
            if waiting:
                assert helper.askable(now), (user, waiting)
            start = now.astimezone(ZoneInfo(profile["timezone"])).replace(
                day=1, hour=0, minute=0, second=0, microsecond=0
            )
            this_month = [
                i
                for i in intros
                if i["volunteer_id"] == profile["member_id"]
                and (when(i["created_at"]) or now) >= start
            ]
            assert len(this_month) + len(waiting) <= helper.highest_capacity, (user, profile)

        # No seeker over the open-request limit.
        # (Two linked accounts may hold more between them: no new one opens until fewer are.)
        for seeker in {r["seeker_id"] for r in requests.values()}:
            mine = [r for r in requests.values() if r["seeker_id"] == seeker]
            count = sum(r["status"] == "open" for r in mine)
            assert count <= max(self.max_open, self.open_allowance.get(seeker, 0)), mine
            if seeker in self.open_allowance:
                self.open_allowance[seeker] = min(self.open_allowance[seeker], count)

        # After a decline, nothing the seeker is sent about their requests names the volunteer
        # who declined. Not covered: an ask to the seeker as someone's suggested colleague may
        # name whoever suggested them, and once the two were introduced for another request,
        # messages about that introduction name them (but never with the declined request).
        messages = [Outbox.of(r) for r in snap["outbox"]]

        def person(member_id: int) -> int:  # who declined follows the person, once linked
            return int(users[member_id]["person_id"] or member_id)

        for decline in self.declines:
            seeker = person(decline.seeker)
            accounts = [
                (m["place_id"], m["user_id"]) for m in users.values() if person(m["id"]) == seeker
            ]
            # (Met: them, or someone of the same name, e.g. their account on the other place.)
            met = any(
                person(i["seeker_id"]) == seeker
                and users[person(i["volunteer_id"])]["display_name"] == decline.name
                for i in intros
            )
            about = re.compile(rf"#{decline.request}\b")
            for m in messages:
                if m.id <= decline.after_outbox or m.kind != "member":
                    continue
                if not any(m.reaches(address) for address in accounts):
                    continue
                if any(action.startswith("ask.") for action, _ in m.buttons):
                    continue
                if met and not about.search(m.text):
                    continue
                assert decline.name not in m.text, (decline, m)
