"""One community on two places driven by random commands through `Infochat.dispatch` (a
hypothesis state machine); `Checks` verifies the invariants after every step."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import sqlite3
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
)

from bot.app import JOB_HANDLERS, Infochat
from bot.clock import FakeClock
from bot.commands import Actor, Command, CommunityRef
from bot.domain.community import CommunitySettings
from bot.jobs import JobRunner
from bot.outbox import DeliveryWorker
from bot.storage.database import Database, sqlite_url
from bot.views import Reply
from tests.bot.invariants.checks import Checks
from tests.bot.invariants.linking import Linking
from tests.bot.invariants.model import (
    ACTIVE,
    ASKERS,
    CLICKS,
    COLLEAGUE,
    CONSENTS,
    EVERYONE,
    FORWARD,
    GOOD_QUESTIONS,
    HELPERS,
    HOMES,
    MODERATOR,
    MODERATORS,
    MOSTLY,
    MOVES,
    NOT_NOW_DAYS,
    PLACES,
    REQUEST_TOPICS,
    SEEKERS,
    TOPICS,
    VOLUNTEERS,
    WEAK_QUESTIONS,
    WHY,
    ZONES,
    Decline,
    Helper,
    Snapshot,
    contact_of,
    display,
    start_of,
    without_keys,
)
from tests.bot.invariants.reading import Reading
from tests.support import COMMUNITY, OTHER_PLACE, RecordingTransport, World, join_places


class Infochats(Checks, Linking, Reading, RuleBasedStateMachine):
    """One community on two places, on a fresh SQLite file, driven through
    `Infochat.dispatch`."""

    template: Path  # a migrated database, copied for each example

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="infochat-invariants-"))
        self.path = self.dir / "infochat.db"
        shutil.copyfile(self.template, self.path)
        self.loop = asyncio.new_event_loop()
        self.db = Database(sqlite_url(self.path))
        self.clock = FakeClock()
        self.reader = sqlite3.connect(self.path, isolation_level=None)
        self.reader.row_factory = sqlite3.Row
        self.keys = itertools.count(1)
        self.history: list[tuple[Command, Reply]] = []
        self.app: Infochat | None = None
        self.approval = False
        self.max_open = 3
        self.helpers: dict[str, Helper] = {}
        self.needs_approval: dict[int, bool] = {}  # ask id → approval required when made
        self.declines: list[Decline] = []
        self.open_allowance: dict[int, int] = {}  # see `Linking.joined`
        self.known_places: dict[str, int] = {}  # see `place_ids`
        self.transport = RecordingTransport()
        self.worker = DeliveryWorker(self.db, self.transport, self.clock)

    def teardown(self) -> None:
        self.reader.close()
        self.loop.run_until_complete(self.db.dispose())
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ----------------------------------------------------------------- plumbing

    def account(self, user: str) -> tuple[CommunityRef, str]:
        """Who acts: a member of the cast from their home place, or "user@place", the account
        of that handle on that place."""
        user_id, _, place = user.partition("@")
        return (PLACES[place] if place else HOMES[user_id]), user_id

    def actor(self, user: str) -> Actor:
        place, user_id = self.account(user)
        is_moderator = user in MODERATORS
        return Actor(place, user_id, display(user_id), is_moderator=is_moderator)

    def command(self, user: str, action: str, target: str = "", **args: str) -> Command:
        return Command(self.actor(user), action, f"key-{next(self.keys)}", target, args)

    def send(self, command: Command) -> tuple[Reply, Snapshot, Snapshot]:
        assert self.app is not None
        before = self.snapshot()
        reply = self.loop.run_until_complete(self.app.dispatch(command))
        after = self.snapshot()
        self.check_step(command, reply, before, after)
        self.history.append((command, reply))
        return reply, before, after

    def do(self, user: str, action: str, target: str = "", **args: str) -> Reply:
        reply = self.send(self.command(user, action, target, **args))[0]
        if reply.ok:
            self.learn(user, action, args)
        return reply

    def learn(self, user: str, action: str, args: dict[str, str]) -> None:
        """Keep the model of volunteers in step with their successful commands."""
        if not action.startswith("volunteer.") and action != "ask.not_now":
            return
        member_id = self.member_id(user)
        if member_id is None:
            return
        helper = self.helper_of(member_id, {m["id"]: m for m in self.rows("members")})
        if helper is None:
            return
        now = self.clock.now()
        zone = helper.profile["timezone"]
        if action in ("volunteer.pause", "ask.not_now"):
            if args.get("until"):
                helper.paused_until = start_of(date.fromisoformat(args["until"]), zone)
            else:
                local = now.astimezone(ZoneInfo(zone)).date()
                helper.paused_until = start_of(local + timedelta(days=NOT_NOW_DAYS), zone)
            assert now < helper.paused_until <= now + timedelta(days=366)
        elif action == "volunteer.resume":
            helper.paused_until = None
        elif action == "volunteer.leave":
            helper.active = False
        elif action == "volunteer.join":
            capacity = int(args["monthly_capacity"])
            helper.joined = helper.active = True
            helper.paused_until = None
            helper.capacity = capacity
            helper.highest_capacity = max(helper.highest_capacity, capacity)
        elif action == "volunteer.edit" and "monthly_capacity" in args:
            helper.capacity = int(args["monthly_capacity"])
            helper.highest_capacity = max(helper.highest_capacity, helper.capacity)

    # ----------------------------------------------------------------- rules

    @initialize(
        approval=st.booleans(),
        max_open=st.integers(1, 3),
        profiles=st.lists(
            st.tuples(
                st.lists(st.sampled_from(TOPICS), min_size=1, max_size=2, unique=True),
                st.integers(1, 2),
                st.sampled_from(ZONES),
            ),
            min_size=len(HELPERS),
            max_size=len(HELPERS),
        ),
    )
    def start(
        self, approval: bool, max_open: int, profiles: list[tuple[list[str], int, str]]
    ) -> None:
        self.approval, self.max_open = approval, max_open
        defaults = CommunitySettings(approval_required=approval, max_open_requests=max_open)
        self.app = Infochat(self.db, self.clock, defaults)
        for user, (topics, capacity, zone) in zip(HELPERS, profiles, strict=True):
            self.helpers[user] = Helper(
                {
                    "role": "Engineer",
                    "organisation": f"{display(user)} Works",
                    "topics": ", ".join(topics),
                    "timezone": zone,
                    "monthly_capacity": str(capacity),
                    "contact": contact_of(user),
                }
            )
        # The community is made on its first place, then a second place joins it.
        for place in (COMMUNITY, OTHER_PLACE):
            if place == OTHER_PLACE:
                self.loop.run_until_complete(join_places(cast(World, self), COMMUNITY, place))
            for user in HELPERS:
                if user != COLLEAGUE and HOMES[user] == place:
                    assert self.do(user, "volunteer.join", **self.helpers[user].profile).ok

    @rule(
        seeker=st.sampled_from(ASKERS),
        topic=st.sampled_from(REQUEST_TOPICS),
        kind=st.sampled_from(("good", "good", "weak", "override", "person")),
        person=st.sampled_from((*VOLUNTEERS, *HELPERS, SEEKERS[0])),
    )
    def create(self, seeker: str, topic: str, kind: str, person: str) -> None:
        questions = WEAK_QUESTIONS if kind in ("weak", "override") else GOOD_QUESTIONS
        args = {"topic": topic, "why": WHY, "minutes": "15", "questions": " | ".join(questions)}
        if kind == "override":
            args["override"] = "yes"
        if kind == "person":
            args["person"] = f"@{person}"
        self.do(seeker, "request.create", **args)

    @rule(
        action=st.sampled_from(("pick", "pick", "submit", "discard", "cancel")),
        choice=st.sampled_from(("auto", "auto", "", "volunteer", "bogus")),
        volunteer=st.sampled_from((*HELPERS, MODERATOR)),
        data=st.data(),
    )
    def seeker_clicks(self, action: str, choice: str, volunteer: str, data: st.DataObject) -> None:
        """A seeker's button on any request: often theirs and in the right state, not always."""
        target, request = self.pick_row(data, "requests", "draft" if action != "pick" else "open")
        seeker = self.owner_or(data, request["seeker_id"] if request else None, ASKERS)
        if action != "pick":
            self.do(seeker, f"request.{action}", target)
            return
        if choice == "volunteer":  # a candidate or not: the core decides
            choice = str(self.member_id(volunteer) or 999)
        elif choice == "bogus":
            choice = "999"
        if data.draw(st.booleans(), label="choice in target"):
            self.do(seeker, "request.pick", f"{target}:{choice}" if choice else target)
        else:
            self.do(seeker, "request.pick", target, choice=choice)

    @rule(
        answer=st.sampled_from(("accept", "accept", "decline", "not_now", "suggest")),
        colleague=st.sampled_from((*HELPERS, *SEEKERS, "")),
        pause_days=st.sampled_from((None, None, 3, 40, -2)),
        consent=st.sampled_from(CONSENTS),
        data=st.data(),
    )
    def answer_ask(
        self,
        answer: str,
        colleague: str,
        pause_days: int | None,
        consent: str,
        data: st.DataObject,
    ) -> None:
        """An answer to any ask: often the volunteer's own and still waiting, not always."""
        target, ask = self.pick_row(data, "asks", "asked")
        user = self.owner_or(data, ask["volunteer_id"] if ask else None, EVERYONE)
        self.answer(user, answer, target, colleague, pause_days, consent)

    def answer(
        self,
        user: str,
        answer: str,
        target: str,
        colleague: str,
        pause_days: int | None,
        consent: str = "give",
    ) -> None:
        if answer == "accept":
            self.accept(user, target, consent)
            return
        args: dict[str, str] = {}
        if answer == "suggest":
            args = {"colleague": f"@{colleague}" if colleague else "", "note": "Ask her!"}
        if answer == "not_now" and pause_days is not None:
            args = {"until": (self.clock.now() + timedelta(days=pause_days)).date().isoformat()}
        self.do(user, f"ask.{answer}", target, **args)

    def accept(self, user: str, target: str, consent: str = "give") -> Reply:
        """Accept; across places the reply is a form asking how the volunteer would like to
        be reached, which they submit (the consent: the introduction comes only now), leave
        unanswered, or submit empty (refused)."""
        reply = self.do(user, "ask.accept", target)
        form = reply.form
        if form is None or form.action != "ask.accept_contact" or consent == "leave":
            return reply
        assert reply.ok and not reply.messages, reply
        [field] = form.fields
        contact = (field.default or contact_of(user)) if consent == "give" else ""
        answered = self.do(user, form.action, form.target, contact=contact)
        assert answered.ok == bool(contact), answered
        return answered

    @rule(
        action=st.sampled_from(("approve", "approve", "deny", "settings")),
        someone=st.sampled_from((*SEEKERS, VOLUNTEERS[0])),
        reason=st.sampled_from(("Not a good fit right now", "Not a good fit right now", "")),
        approval=st.booleans(),
        data=st.data(),
    )
    def moderate(
        self, action: str, someone: str, reason: str, approval: bool, data: st.DataObject
    ) -> None:
        """Approve or deny any ask, or switch approval on or off: usually as the moderator."""
        moderator = someone
        if data.draw(st.sampled_from(MOSTLY), label="mod"):  # a moderator of either place
            moderator = data.draw(st.sampled_from(MODERATORS), label="moderator")
        if action == "settings":
            reply = self.do(moderator, "mod.settings", approval_required=str(approval).lower())
            assert reply.ok == (moderator in MODERATORS), reply
            if reply.ok:
                self.approval = approval
            return
        target, _ = self.pick_row(data, "asks", "proposed")
        if action == "approve":
            self.do(moderator, "mod.approve", target)
        else:
            self.do(moderator, "mod.deny", target, reason=reason)

    @rule(
        moves=st.lists(st.sampled_from(MOVES), min_size=1, max_size=3),
        colleague=st.sampled_from((*HELPERS, SEEKERS[0])),
        intruder=st.sampled_from(EVERYONE),
        data=st.data(),
    )
    def requests_move_on(
        self, moves: list[str], colleague: str, intruder: str, data: st.DataObject
    ) -> None:
        """Likely next steps for live requests, so that random runs reach introductions and
        every branch of §3: pick, approve or deny, accept, decline, not now, suggest, cancel,
        the volunteer leaving or pausing, or someone clicking what isn't theirs."""
        for move in moves:
            self.move_on(move, colleague, intruder, data)

    @rule(
        moves=st.lists(st.sampled_from(FORWARD), min_size=1, max_size=3),
        colleague=st.sampled_from(HELPERS),
        data=st.data(),
    )
    def requests_go_forward(self, moves: list[str], colleague: str, data: st.DataObject) -> None:
        """(The same, drawn more often and mostly forward: hypothesis picks rules evenly.)"""
        for move in moves:
            self.move_on(move, colleague, MODERATOR, data)

    def move_on(self, move: str, colleague: str, intruder: str, data: st.DataObject) -> None:
        live = [r for r in self.rows("requests") if r["status"] in ("open", "draft")]
        if not live or move == "new":  # the first step of all: a seeker asks
            seeker = data.draw(st.sampled_from(ASKERS), label="seeker")
            kind = data.draw(st.sampled_from(("good", "good", "weak", "override")), label="kind")
            self.create(seeker, data.draw(st.sampled_from(TOPICS), label="topic"), kind, "")
            return
        request = data.draw(st.sampled_from(live), label="live request")
        seeker, rid = self.user_of(request["seeker_id"]), str(request["id"])
        active = [
            a
            for a in self.rows("asks")
            if a["request_id"] == request["id"] and a["status"] in ACTIVE
        ]
        ask = active[0] if active else None
        if move == "squeeze" and ask is not None:  # less room while an ask waits
            self.do(self.user_of(ask["volunteer_id"]), "volunteer.edit", monthly_capacity="1")
        elif move == "cancel":
            self.do(seeker, "request.cancel", rid)
        elif move == "fill":  # a draft, then as many requests as allowed, then send the draft
            topic = data.draw(st.sampled_from(TOPICS), label="topic")
            self.create(seeker, topic, "weak", "")
            drafts = [
                r["id"]
                for r in self.rows("requests")
                if r["seeker_id"] == request["seeker_id"] and r["status"] == "draft"
            ]
            for _ in range(self.max_open):
                self.create(seeker, topic, "good", "")
            if drafts:
                self.do(seeker, "request.submit", str(drafts[-1]))
        elif request["status"] == "draft":
            self.do(seeker if move != "intruder" else intruder, "request.submit", rid)
        elif ask is None:
            self.do(seeker if move != "intruder" else intruder, "request.pick", f"{rid}:auto")
        elif ask["status"] == "proposed":
            moderator = data.draw(st.sampled_from(MODERATORS), label="moderator")
            who = moderator if move != "intruder" else intruder
            if move == "deny" or (seeker == MODERATOR and move != "forward"):  # not her own
                self.do(who, "mod.deny", str(ask["id"]), reason="Not a good fit right now")
            else:
                self.do(who, "mod.approve", str(ask["id"]))
        else:
            volunteer = self.user_of(ask["volunteer_id"])
            if move in ("leave", "pause"):
                self.do(volunteer, f"volunteer.{move}")
                return
            answer = move if move in ("decline", "not_now", "suggest") else "accept"
            who = volunteer if move != "intruder" else intruder
            self.answer(who, answer, str(ask["id"]), colleague, None)

    @rule(
        volunteer=st.sampled_from(HELPERS),
        action=st.sampled_from(("pause", "resume", "leave", "join", "edit")),
        days=st.sampled_from((None, 1, 20, 400)),
        capacity=st.integers(1, 2),
    )
    def volunteer_state(self, volunteer: str, action: str, days: int | None, capacity: int) -> None:
        args: dict[str, str] = {}
        if action == "pause" and days is not None:
            args["until"] = (self.clock.now() + timedelta(days=days)).date().isoformat()
        if action == "join":
            args = dict(self.helpers[volunteer].profile)
        if action == "edit":
            args["monthly_capacity"] = str(capacity)
        self.do(volunteer, f"volunteer.{action}", **args)

    @rule(days=st.integers(1, 40), hours=st.integers(0, 23))
    def advance(self, days: int, hours: int) -> None:
        """Time passes, and what fell due runs: reminders, expiries, follow-ups. (Weekly
        digests are left out: they change no state §3 speaks of, and drawing their chart
        would take most of this test's time.)"""
        assert self.app is not None
        self.clock.advance(timedelta(days=days, hours=hours))
        before = self.snapshot()
        runner = JobRunner(self.db, self.clock, JOB_HANDLERS)
        self.loop.run_until_complete(runner.run_due())
        after = self.snapshot()
        self.check_step(None, None, before, after)
        # What is due goes out, each message on the place its outbox row names.
        self.loop.run_until_complete(self.worker.drain())
        self.check_delivered(after)

    @precondition(lambda self: bool(self.history))
    @rule(replay=st.booleans(), data=st.data())
    def again(self, replay: bool, data: st.DataObject) -> None:
        """A platform redelivers an event (same key): the same reply, and nothing changes.
        Or a member clicks a done button again (new key): politely refused, nothing changes."""
        done = [c for c, r in self.history if c.action in CLICKS and r.ok and r.form is None]
        if not (replay and done):
            first_command, first_reply = data.draw(st.sampled_from(self.history), label="repeat")
            reply, before, after = self.send(first_command)
            assert reply.replay  # shown once already: adapters show nothing again
            unmarked = {"replay": False}
            assert reply.model_copy(update=unmarked) == first_reply.model_copy(update=unmarked)
            assert after == before
            return
        first = data.draw(st.sampled_from(done), label="replay")
        again = Command(
            first.actor, first.action, f"key-{next(self.keys)}", first.target, first.args
        )
        reply, before, after = self.send(again)
        assert not reply.ok, (first, reply)
        assert reply.messages and reply.messages[0].text
        assert without_keys(after) == without_keys(before)
