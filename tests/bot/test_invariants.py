"""DESIGN.md §3's invariants under random command sequences (a hypothesis state machine).

Two seekers, four volunteers with small capacities and overlapping topics, a colleague who is
not a volunteer (yet), and a moderator who sometimes asks for chats herself send random
commands: requests (good, coached, sent anyway, for a named person), picks (automatic, a named
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
  politely and changes nothing but remembering its key.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bot.app import JOB_HANDLERS, Infochat
from bot.clock import FakeClock
from bot.commands import Actor, Command
from bot.domain.community import CommunitySettings
from bot.jobs import JobRunner
from bot.storage.database import Database, sqlite_url
from bot.views import Reply
from tests.support import COMMUNITY

SETTINGS = settings(
    max_examples=80,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SEEKERS = ("sam", "sky")
MODERATOR = "mona"  # a moderator who sometimes asks for chats herself
ASKERS = (*SEEKERS, MODERATOR)
VOLUNTEERS = ("quillon", "xanthe", "yorrick", "zephyrine")
COLLEAGUE = "wendeline"  # not a volunteer at first: reachable as a suggested colleague
HELPERS = (*VOLUNTEERS, COLLEAGUE)
EVERYONE = (*ASKERS, *HELPERS)
TOPICS = ("data engineering", "data science", "product management", "ux research")
REQUEST_TOPICS = (*TOPICS, "machine learning", "underwater basket weaving")
ZONES = ("UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Auckland")
NOT_NOW_DAYS = CommunitySettings().not_now_default_days

WHY = (
    "I am a backend developer moving toward this field and want to hear how the work "
    "differs day to day from what I do now."
)
GOOD_QUESTIONS = (
    "What does a typical week look like in your role?",
    "Which skills mattered most when you moved into this work?",
)
# Coach warnings only (they aren't questions): a draft, unless the seeker overrides.
WEAK_QUESTIONS = (
    "Tell me about a typical week in your role",
    "Tell me which skills mattered most for you",
)
CLICKS = frozenset(
    {
        "request.submit",
        "request.discard",
        "request.pick",
        "request.cancel",
        "ask.accept",
        "ask.decline",
        "ask.not_now",
        "ask.suggest",
        "mod.approve",
        "mod.deny",
    }
)
ACTIVE = ("proposed", "asked")
ANSWERS = {"accepted": "accept", "declined": "decline", "not_now": "not_now"}
ANSWERS["suggested"] = "suggest"
# Next steps for a live request (see `move_on`), the usual one more often.
MOVES: tuple[str, ...] = ("new", "new", "forward", "forward", "forward", "decline", "not_now")
MOVES += ("suggest", "cancel", "intruder", "deny", "leave", "pause", "squeeze", "fill")
FORWARD = ("forward", "forward", "forward", "suggest", "not_now", "decline")
MOSTLY = (True, True, True, True, False)  # drawn from: the usual case four times in five

Snapshot = dict[str, list[dict[str, Any]]]


def display(user: str) -> str:
    return user.capitalize()


def when(value: str | None) -> datetime | None:
    """A datetime as SQLite stores it (naive UTC text) → aware UTC."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def start_of(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def paused(until: datetime | None, now: datetime) -> datetime | None:
    """A pause that is still running (one in the past is no pause)."""
    return until if until is not None and until > now else None


def without_keys(snap: Snapshot) -> Snapshot:
    return {table: rows for table, rows in snap.items() if table != "processed_commands"}


@dataclass(frozen=True)
class Outbox:
    id: int
    kind: str
    user_ids: tuple[str, ...]
    text: str  # the whole message as JSON: text, title, lines, buttons
    buttons: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, row: dict[str, Any]) -> Outbox:
        destination, message = json.loads(row["destination"]), json.loads(row["message"])
        return cls(
            row["id"],
            destination["kind"],
            tuple(destination.get("user_ids") or ()),
            row["message"],
            frozenset((b["action"], b["target"]) for b in message.get("buttons", ())),
        )


@dataclass(frozen=True)
class Decline:
    seeker: int  # member ids
    volunteer: int
    name: str  # the volunteer's display name
    request: int
    after_outbox: int  # the outbox's last id before the decline


@dataclass
class Helper:
    """What the model knows about a volunteer: set by their successful commands only."""

    profile: dict[str, str]  # their volunteer.join arguments
    joined: bool = False
    active: bool = False
    paused_until: datetime | None = None
    capacity: int = 0
    highest_capacity: int = 0

    def askable(self, now: datetime) -> bool:
        return self.active and paused(self.paused_until, now) is None


class Infochats(RuleBasedStateMachine):
    """One community on a fresh SQLite file, driven through `Infochat.dispatch`."""

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

    def teardown(self) -> None:
        self.reader.close()
        self.loop.run_until_complete(self.db.dispose())
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ----------------------------------------------------------------- plumbing

    def actor(self, user: str) -> Actor:
        return Actor(COMMUNITY, user, display(user), is_moderator=user == MODERATOR)

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
        helper = self.helpers.get(user)
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

    def user_of(self, member_id: int) -> str:
        [row] = self.reader.execute("SELECT user_id FROM members WHERE id = ?", (member_id,))
        return str(row[0])

    def member_id(self, user: str) -> int | None:
        row = self.reader.execute("SELECT id FROM members WHERE user_id = ?", (user,)).fetchone()
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
                }
            )
            if user != COLLEAGUE:
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
        data=st.data(),
    )
    def answer_ask(
        self, answer: str, colleague: str, pause_days: int | None, data: st.DataObject
    ) -> None:
        """An answer to any ask: often the volunteer's own and still waiting, not always."""
        target, ask = self.pick_row(data, "asks", "asked")
        user = self.owner_or(data, ask["volunteer_id"] if ask else None, EVERYONE)
        self.answer(user, answer, target, colleague, pause_days)

    def answer(
        self, user: str, answer: str, target: str, colleague: str, pause_days: int | None
    ) -> None:
        args: dict[str, str] = {}
        if answer == "suggest":
            args = {"colleague": f"@{colleague}" if colleague else "", "note": "Ask her!"}
        if answer == "not_now" and pause_days is not None:
            args = {"until": (self.clock.now() + timedelta(days=pause_days)).date().isoformat()}
        self.do(user, f"ask.{answer}", target, **args)

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
        moderator = MODERATOR if data.draw(st.sampled_from(MOSTLY), label="mod") else someone
        if action == "settings":
            reply = self.do(moderator, "mod.settings", approval_required=str(approval).lower())
            assert reply.ok == (moderator == MODERATOR), reply
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
            who = MODERATOR if move != "intruder" else intruder
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
        runner = JobRunner(self.db, self.clock, JOB_HANDLERS, self.app.profiles)
        self.loop.run_until_complete(runner.run_due())
        self.check_step(None, None, before, self.snapshot())

    @precondition(lambda self: bool(self.history))
    @rule(replay=st.booleans(), data=st.data())
    def again(self, replay: bool, data: st.DataObject) -> None:
        """A platform redelivers an event (same key): the same reply, and nothing changes.
        Or a member clicks a done button again (new key): politely refused, nothing changes."""
        done = [c for c, r in self.history if c.action in CLICKS and r.ok]
        if not (replay and done):
            first_command, first_reply = data.draw(st.sampled_from(self.history), label="repeat")
            reply, before, after = self.send(first_command)
            assert reply == first_reply
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

    # ----------------------------------------------------------------- checks

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
                assert reply == Reply.model_validate_json(recorded[command.key]["reply"])
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

        def dm(user_id: str, needle: str, button: tuple[str, str] | None = None) -> bool:
            return any(
                m.kind == "member"
                and user_id in m.user_ids
                and needle in m.text
                and (button is None or button in m.buttons)
                for m in new_messages
            )

        users = {m["id"]: m for m in after["members"]}
        actor = None
        if command is not None:
            actor = next(m for m in after["members"] if m["user_id"] == command.actor.user_id)
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
                assert dm(volunteer["user_id"], "", ("ask.accept", str(ask["id"]))), (
                    "an ask the volunteer wasn't sent",
                    ask,
                )
            if old is None or old["status"] == ask["status"]:
                continue
            if ask["status"] in ANSWERS:  # only the volunteer answers for themselves
                assert action == f"ask.{ANSWERS[ask['status']]}", (action, ask)
                assert (target, actor_id) == (str(ask["id"]), ask["volunteer_id"])
            if ask["status"] == "denied":
                assert (action, target, moderator) == ("mod.deny", str(ask["id"]), True)
            if ask["status"] == "expired":  # only time makes an ask expire, and says so
                assert action == "jobs"
                assert dm(volunteer["user_id"], f"Ask #{ask['id']} has lapsed"), ask
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
                assert dm(volunteer["user_id"], f"ask #{ask['id']}"), (
                    "a withdrawn ask the volunteer wasn't told about",
                    ask,
                )
            if ask["status"] in ("declined", "not_now", "expired") and request["status"] == "open":
                assert dm(seeker["user_id"], f"Still looking for request #{request['id']}")

        new_intros = [i for i in after["introductions"] if i not in before["introductions"]]
        assert len(new_intros) <= 1
        for intro in new_intros:
            assert (action, target) == ("ask.accept", str(intro["ask_id"]))
            assert old_asks[intro["ask_id"]]["status"] == "asked"
            assert asks_now[intro["ask_id"]]["status"] == "accepted"
            pair = (users[intro["seeker_id"]]["user_id"], users[intro["volunteer_id"]]["user_id"])
            assert any(m.kind == "group" and m.user_ids == pair for m in new_messages), (
                "an introduction nobody was sent",
                intro,
            )

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
                assert dm(seeker["user_id"], f"#{request['id']}"), ("closed silently", request)
            if closed and reason == "denied":
                assert action == "mod.deny" and moderator
                assert dm(seeker["user_id"], f"didn't approve request #{request['id']}")

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
        helper = self.helpers.get(volunteer["user_id"])
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
                approver = users[ask["approved_by"]]
                assert approver["is_moderator"] and approver["id"] != request["seeker_id"]
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
            user = users[profile["member_id"]]["user_id"]
            helper = self.helpers[user]
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
        for seeker in {r["seeker_id"] for r in requests.values()}:
            mine = [r for r in requests.values() if r["seeker_id"] == seeker]
            assert sum(r["status"] == "open" for r in mine) <= self.max_open, mine

        # After a decline, nothing the seeker is sent about their requests names the volunteer
        # who declined. Not covered: an ask to the seeker as someone's suggested colleague may
        # name whoever suggested them, and once the two were introduced for another request,
        # messages about that introduction name them (but never with the declined request).
        messages = [Outbox.of(r) for r in snap["outbox"]]
        for decline in self.declines:
            seeker_id = users[decline.seeker]["user_id"]
            met = any(
                (i["seeker_id"], i["volunteer_id"]) == (decline.seeker, decline.volunteer)
                for i in intros
            )
            about = re.compile(rf"#{decline.request}\b")
            for m in messages:
                if (
                    m.id <= decline.after_outbox
                    or m.kind != "member"
                    or seeker_id not in m.user_ids
                ):
                    continue
                if any(action.startswith("ask.") for action, _ in m.buttons):
                    continue
                if met and not about.search(m.text):
                    continue
                assert decline.name not in m.text, (decline, m)


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
        assert colleague == COLLEAGUE
        accept = w.m.command(COLLEAGUE, "ask.accept", str(ask_id))
        reply, _, _ = w.m.send(accept)
        assert reply.ok
        assert w.m.send(accept)[0] == reply  # redelivered: the same reply
        assert not w.do(COLLEAGUE, "ask.accept", ask_id).ok  # clicked again: refused

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
