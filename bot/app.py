"""The core's single entry point: `Infochat.dispatch(command) -> Reply`.

Each command runs in one transaction together with its idempotency record and the outbox
messages it causes. A repeated key returns the first reply and changes nothing; a
`UserError` rolls everything back and becomes a private reply; anything else is logged and
the member gets an apology, never a stack trace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from functools import partial

from sqlalchemy.exc import IntegrityError

from bot import log_context
from bot.clock import Clock
from bot.commands import Actor, Command, checked, checked_actor, parse_text
from bot.domain.community import CommunitySettings
from bot.domain.ranking import Ranking
from bot.errors import AlreadyDone, UserError
from bot.jobs import JobHandler, JobRunner, Preparation
from bot.metrics import Metrics
from bot.services import (
    accounts,
    asks,
    contacts,
    current_views,
    digest,
    export,
    followups,
    health,
    home,
    housekeeping,
    info,
    ledger,
    moderation,
    pay_it_forward,
    places,
    privacy,
    reminders,
    requests,
    scheduling,
    setup,
    thanks,
    volunteers,
)
from bot.services.arguments import check_fields
from bot.services.context import Context, Handler, Snapshot
from bot.services.moderator_note import with_moderator_note
from bot.services.suggest import TOPIC_FIELDS, rank_timezones, suggestions
from bot.setup_checks import SetupProbe
from bot.storage import idempotency
from bot.storage.command_entry import read_entry
from bot.storage.database import Database
from bot.storage.members import (
    add_member,
    get_or_create_community,
    get_or_create_place,
    upsert_actor,
)
from bot.views import Message, Reply

log = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {
    **requests.HANDLERS,
    **asks.HANDLERS,
    **volunteers.HANDLERS,
    **moderation.HANDLERS,
    **info.HANDLERS,
    **home.HANDLERS,
    **privacy.HANDLERS,
    **accounts.HANDLERS,
    **digest.HANDLERS,
    **scheduling.HANDLERS,
    **contacts.HANDLERS,
    **followups.HANDLERS,
    **thanks.HANDLERS,
    **ledger.HANDLERS,
    **setup.HANDLERS,
    **health.HANDLERS,
    **export.HANDLERS,
    **places.HANDLERS,
}
# Read-only work done in a snapshot before the command's transaction (see Snapshot).
SNAPSHOTS: dict[str, Snapshot] = {**digest.SNAPSHOTS, **health.SNAPSHOTS, **export.SNAPSHOTS}
JOB_HANDLERS: dict[str, JobHandler] = {
    **reminders.JOBS,
    **digest.JOBS,
    **followups.JOBS,
    **pay_it_forward.JOBS,
    **housekeeping.JOBS,
    **setup.JOBS,
}
# Before each round of due jobs: every community has its next weekly digest and its next
# daily housekeeping scheduled.
JOB_PREPARATIONS: tuple[Preparation, ...] = (
    digest.ensure_digests,
    housekeeping.ensure_housekeeping,
)
# The kinds of job those preparations keep scheduled (see `JobRunner.prepared_kinds`).
PREPARED_KINDS = frozenset({digest.WEEKLY, housekeeping.KIND})
# The actions metrics count by name; any other is counted as "unknown" (a bounded label).
ACTIONS: frozenset[str] = frozenset(HANDLERS)
APOLOGY = "Sorry, something went wrong on our side. Nothing was changed; please try again."


class Infochat:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        defaults: CommunitySettings | None = None,
        on_commit: Callable[[], None] | None = None,
        *,
        probes: Mapping[str, SetupProbe] | None = None,
        metrics: Metrics | None = None,
        ranking: Ranking | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.defaults = defaults or CommunitySettings()
        self.on_commit = on_commit  # e.g. wake the delivery worker
        self.probes = {} if probes is None else probes  # each platform's setup checks
        self.metrics = metrics  # None: nothing is counted
        self.ranking = ranking  # None: infochat's matching orders candidates

    def job_runner(self) -> JobRunner:
        """The runner for this core's due jobs."""
        return JobRunner(
            self.db,
            self.clock,
            JOB_HANDLERS,
            self.on_commit,
            JOB_PREPARATIONS,
            {**digest.JOB_SNAPSHOTS, **setup.job_snapshots(self.probes)},
            metrics=self.metrics,
            ranking=self.ranking,
            prepared_kinds=PREPARED_KINDS,
        )

    async def dispatch(self, command: Command) -> Reply:
        """Run one command; counted by action and outcome (ok, refused, error) with its
        latency, and logged meanwhile under its key."""
        started = time.perf_counter()  # monotonic: the injected clock may stand still
        action = command.action if command.action in ACTIONS else "unknown"
        with log_context.command(command.key, action):
            reply, outcome = await self._dispatch(command)
            seconds = time.perf_counter() - started
            log.debug("command %s: %s in %.1f ms", action, outcome, seconds * 1000)
        if self.metrics is not None:
            self.metrics.command(action, outcome, seconds)
        return reply

    async def _dispatch(self, command: Command) -> tuple[Reply, str]:
        try:
            command = checked(command)  # ids readable, names clean: or nothing happens
        except UserError as exc:
            return _refusal(exc), "refused"
        handler = HANDLERS.get(command.action)
        if handler is None:
            refusal = _refusal(UserError("I don't know that action. Try `/infochat help`."))
            return refusal, "refused"
        try:
            reply = await self._run(handler, command)
        except UserError as exc:
            return _counted(await self._refuse(command, _refusal(exc)))
        except IntegrityError:
            # A concurrent delivery of the same key committed first (engines without
            # serialised writers): its outcome is the outcome.
            async with self.db.transaction() as conn:
                prior = await idempotency.lookup(conn, command)
            if prior is not None:
                return _counted(prior)
            log.exception("integrity error in %s by %s", command.action, command.actor.user_id)
            return _refusal(UserError(APOLOGY)), "error"
        except Exception:
            log.exception("command %s by %s failed", command.action, command.actor.user_id)
            return _refusal(UserError(APOLOGY)), "error"
        if self.on_commit is not None:
            self.on_commit()
        return _counted(reply)

    async def dispatch_text(self, actor: Actor, text: str, key: str) -> Reply:
        """A typed `/infochat …` command: parse with the shared grammar, then dispatch."""
        started = time.perf_counter()
        try:
            parsed = parse_text(text)
        except UserError as exc:
            if self.metrics is not None:  # no action to name: it didn't parse
                self.metrics.command("unknown", "refused", time.perf_counter() - started)
            return _refusal(exc)
        return await self.dispatch(Command(actor, parsed.action, key, parsed.target, parsed.args))

    async def suggest(self, actor: Actor, field: str, typed: str) -> tuple[str, ...]:
        """Choices for a field while the member types (read-only; never fails loudly)."""
        try:
            if field not in TOPIC_FIELDS:
                return rank_timezones(field, typed)
            actor = checked_actor(actor)
            async with self.db.read() as conn:
                return await suggestions(conn, actor.community, field, typed)
        except UserError:
            return ()
        except Exception:
            log.exception("suggestions for %s failed", field)
            return ()

    async def _run(self, handler: Handler, command: Command) -> Reply:
        prepared = await self._snapshot(command)
        async with self.db.transaction() as conn:
            entry = await read_entry(conn, command)
            if entry.prior is not None:
                return entry.prior
            check_fields(command)
            now = self.clock.now()
            if entry.community is not None and entry.place is not None:
                community, place = entry.community, entry.place
            else:
                community, place = await get_or_create_place(
                    conn, command.actor.community, self.defaults, now, setup.schedule_first_meeting
                )
            sender = command.actor
            account = entry.actor or await add_member(
                conn,
                community.id,
                place.id,
                sender.user_id,
                sender.display_name,
                now,
                sender.is_moderator,
            )
            actor = await upsert_actor(conn, place, sender, now, account)
            context = Context(
                conn,
                now,
                community,
                actor,
                command,
                place,
                prepared=prepared,
                ranking=self.ranking,
            )
            reply = await with_moderator_note(partial(current_views.run, handler), context)
            await context.flush()
            # The community the command's place belongs to now (linking a place changes it).
            await idempotency.record(conn, command, context.community.id, reply, now)
            return reply

    async def _snapshot(self, command: Command) -> object:
        """The action's read-only work, done beside the writer before its transaction."""
        step = self._snapshots.get(command.action)
        if step is None:
            return None
        async with self.db.read() as conn:
            return await step(conn, command, self.clock.now())

    @property
    def _snapshots(self) -> dict[str, Snapshot]:
        """The actions' snapshot steps, those that reach the platform with this core's probes
        (read when used: an adapter may add its probe after making the core)."""
        return {**SNAPSHOTS, **setup.snapshots(self.probes, self.defaults)}

    async def _refuse(self, command: Command, refusal: Reply) -> Reply:
        """Remember a refusal under its key (its transaction was rolled back), so a repeated
        key gets this same answer even after the state has moved on, and changes nothing."""
        try:
            async with self.db.transaction() as conn:
                prior = await idempotency.lookup(conn, command)
                if prior is not None:  # a concurrent delivery of the key got there first
                    return prior
                now = self.clock.now()
                community = await get_or_create_community(
                    conn, command.actor.community, self.defaults, now, setup.schedule_first_meeting
                )
                await idempotency.record(conn, command, community.id, refusal, now)
        except IntegrityError:  # the same key committed concurrently: its outcome stands
            async with self.db.transaction() as conn:
                return await idempotency.lookup(conn, command) or refusal
        return refusal


def _counted(reply: Reply) -> tuple[Reply, str]:
    """A reply the command's own work gave (or its key's first outcome, replayed)."""
    return reply, "ok" if reply.ok else "refused"


def _refusal(exc: UserError) -> Reply:
    # The state moved on: a button that led here is stale. Its message shows what it says
    # now (e.g. who approved, for a concurrent click that lost), the same as the winner's.
    current = exc.current if isinstance(exc, AlreadyDone) else None
    return Reply(
        ok=False,
        messages=(Message(text=exc.message),),
        field_errors=exc.fields,
        stale=isinstance(exc, AlreadyDone),
        update=current,
    )
