"""DESIGN.md §3's invariants under random command sequences (a hypothesis state machine).

One community on two places (say a Slack workspace and a Discord server): two seekers, four
volunteers with small capacities and overlapping topics, a colleague who is not a volunteer
(yet), a moderator who sometimes asks for chats herself and one on the other place, each
acting from their own place, send random commands: requests (good, coached, sent anyway, for a named person), picks (automatic, a named
volunteer, someone who isn't a candidate), answers to asks that are theirs or not, moderation
by the moderator and by others, cancels, pauses, departures, capacity changes, time travel
with the due jobs it sets off (reminders, expiries, follow-ups), repeated idempotency keys and
replayed clicks. After every step the database is read back with plain SQL and checked
against a small model (approval setting, pauses, capacities):

- an introduction exists only for an ask its volunteer accepted, approved by a moderator
  other than the seeker when approval was required when the ask was made; one per request,
  and the request is introduced;
- at most one active (proposed/asked) ask per request, and only while the request is open;
- a volunteer is never asked while paused or gone, nor past their monthly capacity;
- a seeker never has more open requests than the community allows;
- after a decline, nothing sent to the seeker names the volunteer who declined;
- every state change that must tell someone has its outbox row; rows are never lost;
- each transition is made by the member entitled to it (expiry: only by time);
- a repeated key returns the first reply and changes nothing; a replayed click is refused
  politely and changes nothing but remembering its key;
- a message to a member goes out on the place where they are reached (their own account, or
  the one a linked member used last), and is delivered there; an introduction across places
  reaches each on their own place, in the same words.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis.stateful import (
    run_state_machine_as_test,
)

from bot.storage.database import Database, sqlite_url
from bot.views import Reply
from tests.bot.invariants.machine import Infochats
from tests.bot.invariants.model import (
    ACTIVE,
    COLLEAGUE,
    GOOD_QUESTIONS,
    MODERATOR,
    SEEKERS,
    SETTINGS,
    VOLUNTEERS,
    WHY,
    ZONES,
    Outbox,
    contact_of,
)
from tests.support import replay_of


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database, made once per session and copied for every example."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        db = Database(sqlite_url(path))
        await db.migrate()
        await db.dispose()

    asyncio.run(migrate())
    return path


def test_design_invariants_hold_under_random_commands(template: Path) -> None:
    Infochats.template = template
    run_state_machine_as_test(Infochats, settings=SETTINGS)


class Walk:
    """A scripted run through the same machine and checks: every branch of §3, every time
    (random runs reach the rarer ones only now and then)."""

    def __init__(self, template: Path, approval: bool) -> None:
        Infochats.template = template
        self.m = Infochats()
        # Everyone offers data engineering: any of them may be asked.
        profiles = [(["data engineering"], 2, zone) for zone in ("UTC", *ZONES)]
        try:
            self.m.start(approval=approval, max_open=2, profiles=profiles)
        except BaseException:
            self.m.teardown()
            raise

    def do(self, user: str, action: str, target: object = "", **args: str) -> Reply:
        reply = self.m.do(user, action, str(target), **args)
        self.m.design_invariants()
        return reply

    def ask_of(self, request_id: int) -> tuple[int, str, str]:
        """The request's active ask: (id, status, volunteer)."""
        [ask] = [
            a
            for a in self.m.rows("asks")
            if a["request_id"] == request_id and a["status"] in ACTIVE
        ]
        return ask["id"], ask["status"], self.m.user_of(ask["volunteer_id"])

    def asked(self, request_id: int) -> tuple[int, str]:
        """The request's ask, approved first if it waits for a moderator."""
        ask_id, status, volunteer = self.ask_of(request_id)
        if status == "proposed":
            assert not self.do(SEEKERS[0], "mod.approve", ask_id).ok  # not a moderator
            assert self.do(MODERATOR, "mod.approve", ask_id).ok
        return ask_id, volunteer

    def newest_request(self) -> int:
        return max(int(r["id"]) for r in self.m.rows("requests"))

    def create(self, seeker: str, kind: str = "good") -> int:
        self.m.create(seeker, "data engineering", kind, "")
        self.m.design_invariants()
        return self.newest_request()

    def close(self) -> None:
        self.m.teardown()


@pytest.mark.parametrize("approval", [False, True], ids=["no approval", "approval"])
def test_scripted_walk_through_every_branch(template: Path, approval: bool) -> None:
    w = Walk(template, approval)
    try:
        sam, sky = SEEKERS
        first = w.create(sam)
        assert w.do(sam, "request.pick", f"{first}:auto").ok
        ask_id, volunteer = w.asked(first)
        assert not w.do(sky, "ask.decline", ask_id).ok  # not theirs
        assert w.do(volunteer, "ask.decline", ask_id).ok  # moves on, the name unsaid
        ask_id, volunteer = w.asked(first)
        assert w.do(volunteer, "ask.not_now", ask_id).ok  # paused, moves on
        ask_id, volunteer = w.asked(first)
        assert w.do(volunteer, "ask.suggest", ask_id, colleague=f"@{COLLEAGUE}").ok
        ask_id, colleague = w.asked(first)
        # The handle, on the place of whoever suggested her: "wendeline@test" off her own.
        assert colleague.partition("@")[0] == COLLEAGUE
        accept = w.m.command(colleague, "ask.accept", str(ask_id))
        reply, _, _ = w.m.send(accept)
        assert reply.ok
        assert replay_of(w.m.send(accept)[0], reply)  # redelivered: the same reply, marked
        if reply.form is not None:  # across places: nothing yet, until she says how to reach
            assert (reply.form.action, w.ask_of(first)[1]) == ("ask.accept_contact", "asked")
            contact = contact_of(COLLEAGUE)
            assert not w.do(colleague, "ask.accept_contact", ask_id, contact="").ok
            assert not w.m.rows("introductions")
            assert w.do(colleague, "ask.accept_contact", ask_id, contact=contact).ok
            assert not w.do(colleague, "ask.accept_contact", ask_id, contact=contact).ok
            sam_heard = [Outbox.of(r) for r in w.m.rows("outbox") if "sam" in r["destination"]]
            assert any(contact in m.text for m in sam_heard)  # with the introduction
        assert not w.do(colleague, "ask.accept", ask_id).ok  # clicked again: refused

        # The open-request limit holds for a draft sent later.
        draft = w.create(sky, "weak")
        second, third = w.create(sky), w.create(sky)
        assert not w.do(sky, "request.submit", draft).ok
        assert w.do(sky, "request.cancel", third).ok
        assert w.do(sky, "request.submit", draft).ok
        assert w.do(sky, "request.discard", draft).ok is False

        # The volunteer asked for the second request leaves; it moves on to someone else.
        assert w.do(sky, "request.pick", f"{second}:auto").ok
        ask_id, volunteer = w.ask_of(second)[0], w.ask_of(second)[2]
        assert w.do(volunteer, "volunteer.leave").ok
        assert w.do(volunteer, "volunteer.join", **w.m.helpers[volunteer].profile).ok
        _, _, other = w.ask_of(second)
        assert other != volunteer
        assert w.do(other, "volunteer.pause", until="2026-03-01").ok
        assert w.do(other, "volunteer.resume").ok

        # The moderator's own request: never approved by herself; denied, or cancelled.
        own = w.create(MODERATOR)
        assert w.do(MODERATOR, "request.pick", f"{own}:auto").ok
        ask_id, status, _ = w.ask_of(own)
        if status == "proposed":
            assert not w.do(MODERATOR, "mod.approve", ask_id).ok
            assert w.do(MODERATOR, "mod.deny", ask_id, reason="Not now").ok
        else:
            assert w.do(MODERATOR, "request.cancel", own).ok
        assert w.do(MODERATOR, "mod.settings", approval_required=str(not approval).lower()).ok
        w.m.approval = not approval

        # A month later, capacities have room again; a request for a named person.
        w.m.clock.advance(timedelta(days=35))
        assert w.do(
            sam,
            "request.create",
            topic="data engineering",
            why=WHY,
            questions=" | ".join(GOOD_QUESTIONS),
            person=f"@{VOLUNTEERS[0]}",
        ).ok
    finally:
        w.close()


def test_scripted_approval_when_the_volunteer_has_no_room_any_more(template: Path) -> None:
    w = Walk(template, approval=True)
    try:
        sam, sky = SEEKERS
        first, second = w.create(sam), w.create(sky)
        volunteer_id = w.m.member_id(VOLUNTEERS[0])
        assert w.do(sam, "request.pick", f"{first}:{volunteer_id}").ok
        assert w.do(sky, "request.pick", f"{second}:{volunteer_id}").ok
        first_ask, status, volunteer = w.ask_of(first)
        assert (status, volunteer) == ("proposed", VOLUNTEERS[0])
        assert w.do(volunteer, "volunteer.edit", monthly_capacity="1").ok
        assert w.do(MODERATOR, "mod.approve", first_ask).ok  # no room: it moves on
        _, status, other = w.ask_of(first)
        assert (status, other != volunteer) == ("proposed", True)
    finally:
        w.close()
