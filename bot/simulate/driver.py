"""Plays a `Plan` through the real core under one ranking strategy (issue 12).

A discrete-event loop over simulated time: a heap of (time, sequence, event). Between two
events the clock moves with the job runner, stopping at every due job (reminders, expiries,
follow-ups, digests, housekeeping) so each runs at its own time; after every command and
every stop the outbox is drained through `Inbox`, and what members received is reacted to as
the plan says: a volunteer answers an ask, the seeker picks a time, both say the chat
happened, the seeker thanks. The same volunteer answers the same request the same way under
every strategy: the answer is drawn from (seed, volunteer, the request's place in the plan).

The invariants are counted by `Watch` from what the members saw, not read from the core.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Actor, Command, CommunityRef
from bot.domain.community import CommunitySettings
from bot.domain.measures import RequestFacts
from bot.domain.values import parse_date
from bot.outbox import DeliveryWorker
from bot.simulate.plan import Plan, RequestPlan, VolunteerPlan
from bot.simulate.results import StrategyResult
from bot.simulate.sim_database import on_writes, throwaway_database
from bot.simulate.strategies import strategy as ranking_of
from bot.simulate.watch import Inbox, Watch
from bot.storage import followups as intro_store
from bot.storage import jobs as job_store
from bot.storage import requests as request_store
from bot.storage.measures import measure
from bot.storage.schema import communities, outbox
from bot.views import Button, Destination, Message, Reply

COMMUNITY = CommunityRef("console", "simulation", "Simulated community")
MODERATOR = "sim-moderator"
ANSWERS = ("ask.accept", "ask.not_now", "ask.decline")
UNTIL = re.compile(r"until (\d{4}-\d{2}-\d{2})")
# Refusals the plan expects, by what the command was for: the coach turning a vague request
# back; a proposed time that passed before the seeker picked it; an approval that came after
# the ask was withdrawn. A seeker with too many open requests is told so, whatever the command.
EXPECTED: dict[str, Callable[[Reply], bool]] = {
    "request.vague": lambda reply: bool(reply.field_errors),
    "intro.pick_slot:passed": lambda reply: "has passed" in _text(reply),
    "mod.approve:stale": lambda reply: reply.stale,
}
OPEN_LIMIT = "open requests, the most this community allows"
NEVER = datetime(9000, 1, 1, tzinfo=UTC)  # later than any job is due
TAIL_DAYS = 14  # after the last request expires: the last follow-ups and thanks
Event = Callable[[], Awaitable[None]]


class SimulationError(RuntimeError):
    """The core refused commands the plan expected it to accept: a bug in one or the other."""


def seeded(*parts: object) -> random.Random:
    """A generator that depends only on `parts` (not on Python's hash seed)."""
    key = "|".join(str(p) for p in parts).encode()
    return random.Random(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big"))


@dataclass
class Driver:
    plan: Plan
    strategy: str
    app: Infochat
    worker: DeliveryWorker
    inbox: Inbox
    clock: FakeClock
    settings: CommunitySettings
    progress: Callable[[int, int], None] | None = None
    watch: Watch = field(default_factory=Watch)
    commands: int = 0
    jobs: int = 0
    refused: list[str] = field(default_factory=list)
    expected: dict[str, int] = field(default_factory=dict)
    dirty: bool = False  # something committed since the last drain
    enqueued: bool = False  # a message was put in the outbox since the last drain
    # The earliest pending job after the clock, while no statement has touched the jobs
    # table since it was read (NEVER: none is pending); None: read it again.
    _next_due: datetime | None = None
    _heap: list[tuple[datetime, int, Event]] = field(default_factory=list)
    _sequence: itertools.count[int] = field(default_factory=itertools.count)
    _keys: itertools.count[int] = field(default_factory=itertools.count)
    _requests: dict[int, int] = field(default_factory=dict)  # request id → index in the plan
    _asks: dict[int, int] = field(default_factory=dict)  # ask id → request index
    _intros: dict[int, int] = field(default_factory=dict)  # introduction id → request index
    _names: dict[str, str] = field(default_factory=dict)  # user id → display name
    _day: int = -1

    def __post_init__(self) -> None:
        self.runner = self.app.job_runner()
        self.volunteers = {v.user_id: v for v in self.plan.volunteers}
        self._names.update({v.user_id: v.name for v in self.plan.volunteers})
        self._names.update({r.seeker: r.seeker_name for r in self.plan.requests})
        self.finish = self.plan.end + timedelta(days=self.settings.request_expiry_days + TAIL_DAYS)
        on_writes(self.app.db, self._written)

    def _written(self, table: str) -> None:
        if table == outbox.name:
            self.enqueued = True
        elif table == job_store.jobs.name:
            self._next_due = None

    # The loop ---------------------------------------------------------------------------

    def at(self, when: datetime, event: Event) -> None:
        heapq.heappush(self._heap, (max(when, self.clock.now()), next(self._sequence), event))

    async def run(self) -> None:
        self.at(self.plan.start, self._configure)
        for volunteer in self.plan.volunteers:
            self.at(volunteer.joins_at, self._joiner(volunteer))
        for index, request in enumerate(self.plan.requests):
            if self.plan.start <= request.at < self.plan.end:
                self.at(request.at, self._requester(index, request))
        while True:
            until = min(self._heap[0][0], self.finish) if self._heap else self.finish
            due = await self._next_job(until)
            if due is not None:  # jobs due before (or with) the next event run first
                await self._jobs_at(due)
                continue
            if not self._heap or self._heap[0][0] > self.finish:
                break
            when, _, event = heapq.heappop(self._heap)
            self.clock.set(when)  # no job falls due on the way (just checked)
            await event()
            await self._settle()
        self.clock.set(max(self.finish, self.clock.now()))
        await self._jobs_at(self.clock.now())

    async def _jobs_at(self, due: datetime) -> None:
        """Stop at `due` and run what falls due then, as `JobRunner.advance` does at each of
        its stops, but settling (delivering, reacting) after each stop rather than only at
        the end of the span, so every reaction happens at the time its message was sent."""
        self.clock.set(max(due, self.clock.now()))
        self.jobs += await self.runner.run_due()
        await self._settle()

    async def _next_job(self, until: datetime) -> datetime | None:
        """The earliest due time of a pending job in (now, until], if any. Read again only
        when the jobs table changed: the clock never passes a pending job without running
        what is due (`_jobs_at`, which claims it and so changes the table)."""
        if self._next_due is None:
            async with self.app.db.read() as conn:
                found = await job_store.next_due_between(conn, self.clock.now(), NEVER)
            self._next_due = NEVER if found is None else found
        return self._next_due if self._next_due <= until else None

    async def _settle(self) -> None:
        """Deliver what the last step sent and react to it, in the order it was sent."""
        self._tick()
        while self.dirty:
            self.dirty = False
            if not self.enqueued:
                break  # committed, but nothing to deliver: no need to look in the outbox
            self.enqueued = False
            await self.worker.drain()
            for destination, message in self.inbox.take():
                await self._received(destination, message)

    def _tick(self) -> None:
        if self.progress is None:
            return
        day = (self.clock.now() - self.plan.start).days
        if day > self._day:
            self._day = day
            self.progress(min(day, self.total_days), self.total_days)

    @property
    def total_days(self) -> int:
        return max((self.finish - self.plan.start).days, 1)

    # Commands ---------------------------------------------------------------------------

    async def act(
        self, user: str, action: str, target: str = "", *, expect: str = "", **args: Any
    ) -> Reply:
        """Dispatch a command as `user`; a refusal is noted (as expected, or as a bug)."""
        self.commands += 1
        actor = Actor(COMMUNITY, user, self._names.get(user, user), is_moderator=user == MODERATOR)
        command = Command(actor, action, f"sim{next(self._keys)}", target, args)
        reply = await self.app.dispatch(command)
        if not reply.ok:
            if expect and EXPECTED[expect](reply):
                self.expected[expect] = self.expected.get(expect, 0) + 1
            elif action == "request.create" and OPEN_LIMIT in _text(reply):
                self.expected["request.open_limit"] = self.expected.get("request.open_limit", 0) + 1
            else:
                self.refused.append(f"{action} {target} by {user}: {_text(reply)[:200]}")
        return reply

    async def _configure(self) -> None:
        if self.plan.settings:
            await self.act(MODERATOR, "mod.settings", **self.plan.settings)

    def _joiner(self, volunteer: VolunteerPlan) -> Event:
        async def join() -> None:
            reply = await self.act(volunteer.user_id, "volunteer.join", **volunteer.join)
            if reply.ok:
                self.watch.joined(volunteer)
                for pause in volunteer.pauses:
                    if pause.start >= volunteer.joins_at:
                        self.at(pause.start, self._pauser(volunteer, pause.days))

        return join

    def _pauser(self, volunteer: VolunteerPlan, days: int) -> Event:
        async def pause() -> None:
            today = self.clock.now().astimezone(self.watch.zone(volunteer.user_id)).date()
            day = (today + timedelta(days=min(max(days, 1), 365))).isoformat()
            reply = await self.act(volunteer.user_id, "volunteer.pause", until=day)
            self._paused(volunteer.user_id, reply)

        return pause

    def _paused(self, user: str, reply: Reply) -> None:
        """A pause (or "not right now") took effect: until the day the reply names; the
        volunteer's waiting asks were withdrawn with it."""
        found = UNTIL.search(reply.messages[0].text) if reply.ok and reply.messages else None
        if found is not None:
            until = parse_date(found.group(1), str(self.watch.zone(user)))
            self.watch.paused(user, until)

    def _requester(self, index: int, request: RequestPlan) -> Event:
        async def send() -> None:
            if request.vague is not None:
                reply = await self.act(
                    request.seeker, "request.create", expect="request.vague", **request.vague
                )
                if reply.ok:
                    self.refused.append(f"vague request {index} was not turned back")
                    return
                self.at(self.clock.now() + request.fixed_after, fixed)
                return
            await fixed()

        async def fixed() -> None:
            reply = await self.act(request.seeker, "request.create", **request.fields)
            submit = _button(reply, "request.submit")
            if submit is not None:  # the coach kept a draft with warnings: send it anyway
                reply = await self.act(request.seeker, submit.action, submit.target)
            choose = _button(reply, "request.pick", suffix=":auto")
            if choose is None:
                return  # refused (noted) or closed at once with nobody to ask
            self._requests[int(choose.target.partition(":")[0])] = index
            await self.act(request.seeker, choose.action, choose.target)

        return send

    # Reactions --------------------------------------------------------------------------

    async def _received(self, destination: Destination, message: Message) -> None:
        now = self.clock.now()
        user = destination.user_ids[0] if destination.user_ids else ""
        actions = {b.action: b for b in message.buttons}
        if destination.kind == "member":
            if "ask.accept" in actions:
                ask_id = int(actions["ask.accept"].target)
                if self.watch.asked(user, ask_id, now):
                    await self._asked(user, ask_id)
            elif "followup.yes" in actions:
                await self._followup(user, actions["followup.yes"])
            else:
                self.watch.closed(message.text)
        elif destination.kind == "group" and (message.title or "").startswith("Introduction:"):
            seeker, volunteer = destination.user_ids[:2]
            self.watch.introduced(seeker, volunteer, now)
            slots = [b for b in message.buttons if b.action == "intro.pick_slot"]
            if slots:
                intro_id = int(slots[-1].target.partition(":")[0])
                index = await self._intro_request(intro_id)
                if index is not None and self.plan.requests[index].picks_slot:
                    delay = timedelta(
                        minutes=seeded(self.plan.seed, "slot", index).randint(60, 360)
                    )
                    self.at(
                        now + delay, self._press(seeker, slots[-1], expect="intro.pick_slot:passed")
                    )
        elif destination.kind == "channel" and "mod.approve" in actions:
            delay = timedelta(
                minutes=seeded(self.plan.seed, "approve", message.text).randint(30, 240)
            )
            self.at(
                now + delay,
                self._press(MODERATOR, actions["mod.approve"], expect="mod.approve:stale"),
            )

    async def _asked(self, volunteer: str, ask_id: int) -> None:
        """A new ask reached `volunteer`: their answer, drawn for this request of the plan."""
        async with self.app.db.read() as conn:
            ask = await request_store.get_ask(conn, ask_id)
        index = self._requests.get(ask.request_id) if ask is not None else None
        plan = self.volunteers.get(volunteer)
        if index is None or plan is None:
            return  # not a request of the plan, or a member who isn't a planned volunteer
        self._asks[ask_id] = index
        request = self.plan.requests[index]
        rng = seeded(
            self.plan.seed, volunteer, request.fields.get("topic", ""), request.seeker, index
        )
        a = plan.answers
        draw = rng.random()
        delay = plan.answers.delay * rng.lognormvariate(0.0, 0.5)
        if draw < a.accept:
            action = "ask.accept"
        elif draw < a.accept + a.not_now:
            action = "ask.not_now"
        elif draw < a.accept + a.not_now + a.decline:
            action = "ask.decline"
        else:
            return  # silent: the core's expiry passes it on
        self.at(
            self.clock.now() + max(delay, timedelta(minutes=1)),
            self._answer(volunteer, ask_id, action),
        )

    def _answer(self, volunteer: str, ask_id: int, action: str) -> Event:
        async def answer() -> None:
            if not self.watch.is_waiting(volunteer, ask_id):
                return  # lapsed or withdrawn meanwhile
            reply = await self.act(volunteer, action, str(ask_id))
            if not reply.ok:
                return
            self.watch.answered(volunteer, ask_id)
            if action == "ask.accept":
                index = self._asks[ask_id]
                self.watch.accepted(self.plan.requests[index].seeker, volunteer)
            elif action == "ask.not_now":
                self._paused(volunteer, reply)

        return answer

    async def _followup(self, user: str, yes: Button) -> None:
        """ "Did your chat happen?": yes from both when the plan's seeker confirms it."""
        intro_id = int(yes.target.partition(":")[0])
        index = await self._intro_request(intro_id)
        if index is None or not self.plan.requests[index].confirms:
            return
        request = self.plan.requests[index]
        rng = seeded(self.plan.seed, "followup", index, user)
        if user == request.seeker:
            delay = timedelta(minutes=rng.randint(60, 24 * 60))
        else:
            plan = self.volunteers.get(user)
            typical = plan.answers.delay if plan else timedelta(hours=12)
            delay = typical * rng.lognormvariate(0.0, 0.5)
        self.at(self.clock.now() + delay, self._confirm(user, yes, index))

    def _confirm(self, user: str, yes: Button, index: int) -> Event:
        async def confirm() -> None:
            reply = await self.act(user, yes.action, yes.target)
            thanks = _button(reply, "thanks.send")
            if thanks is None or not self.plan.requests[index].thanks:
                return
            text = _form_default(thanks, "text") or "Thank you for your time!"
            delay = timedelta(minutes=seeded(self.plan.seed, "thanks", index).randint(10, 180))
            self.at(self.clock.now() + delay, self._press(user, thanks, text=text))

        return confirm

    def _press(self, user: str, button: Button, *, expect: str = "", **args: Any) -> Event:
        async def press() -> None:
            await self.act(user, button.action, button.target, expect=expect, **args)

        return press

    async def _intro_request(self, intro_id: int) -> int | None:
        if intro_id not in self._intros:
            async with self.app.db.read() as conn:
                intro = await intro_store.get_introduction(conn, intro_id)
            if intro is None or intro.request_id not in self._requests:
                return None
            self._intros[intro_id] = self._requests[intro.request_id]
        return self._intros[intro_id]

    # Results ----------------------------------------------------------------------------

    async def result(self, seconds: float) -> StrategyResult:
        facts: list[RequestFacts] = []
        async with self.app.db.read() as conn:
            community_id = (
                await conn.execute(
                    sa.select(communities.c.id).where(
                        communities.c.platform == COMMUNITY.platform,
                        communities.c.external_id == COMMUNITY.external_id,
                    )
                )
            ).scalar_one()
            measures = await measure(
                conn, community_id, self.plan.start, self.plan.end, self.clock.now(),
                also=facts.append,
            )  # fmt: skip
        return StrategyResult(
            strategy=self.strategy,
            measures=measures,
            requests=tuple(facts),
            asks_past_capacity=self.watch.past_capacity,
            asks_while_paused=self.watch.while_paused,
            introductions_without_accept=self.watch.without_accept,
            commands=self.commands,
            jobs=self.jobs,
            seconds=seconds,
        )


def _text(reply: Reply) -> str:
    return reply.messages[0].text if reply.messages else ""


def _button(reply: Reply, action: str, suffix: str = "") -> Button | None:
    for message in reply.messages:
        for button in message.buttons:
            if button.action == action and button.target.endswith(suffix):
                return button
    return None


def _form_default(button: Button, name: str) -> str:
    if button.form is None:
        return ""
    return next((f.default or "" for f in button.form.fields if f.name == name), "")


async def play(
    plan: Plan,
    strategy: str,
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> StrategyResult:
    """Play `plan` under `strategy` on a new SQLite file at `path` (which must not exist);
    raises `SimulationError` when the core refused commands the plan expected to succeed."""
    started = time.perf_counter()
    db = throwaway_database(path)
    try:
        await db.migrate()
        clock = FakeClock(plan.start)
        settings = CommunitySettings.model_validate(plan.settings)
        inbox = Inbox()
        driver: Driver | None = None

        def committed() -> None:
            if driver is not None:
                driver.dirty = True

        app = Infochat(db, clock, on_commit=committed, ranking=ranking_of(strategy, plan))
        worker = DeliveryWorker(db, inbox, clock)
        driver = Driver(plan, strategy, app, worker, inbox, clock, settings, progress)
        await driver.run()
        if driver.refused:
            shown = "\n".join(driver.refused[:5])
            raise SimulationError(
                f"{len(driver.refused)} command(s) refused unexpectedly under {strategy}:\n{shown}"
            )
        return await driver.result(time.perf_counter() - started)
    finally:
        await db.dispose()
