"""A console session: read a line, turn it into one core command, print what comes back.

Members act by typing the chat's slash command or pressing buttons on messages they can
see. A member is a name on the session's default place, or `name@place` on another console
place: each place is its own `CommunityRef("console", place)`, so one session can play a
community that spans places (or several communities). Every command gets a fresh
idempotency key; after each line the outbox is drained, so what the bot sends is printed as
it is delivered.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from adapters.console.grammar import (
    ConsoleLine,
    GrammarError,
    Meta,
    Press,
    Show,
    Slash,
    Wait,
    expects_refusal,
    is_comment,
    parse_line,
)
from adapters.console.guide import guide
from adapters.console.lines import PROMPT, LineSource
from adapters.console.prompts import FormCancelled, fill_form, normalize_member_args
from adapters.console.render import render, render_update, safe
from adapters.console.transcript import ConsoleMessage, Transcript
from bot.app import Infochat
from bot.clock import AdjustableClock
from bot.commands import Actor, ArgValue, Command, CommunityRef, parse_text
from bot.errors import UserError
from bot.jobs import JobRunner
from bot.outbox import DeliveryWorker
from bot.views import Form, Message, Reply

log = logging.getLogger(__name__)
CODE_WORD = "{code}"


class _Quit(Exception):
    """`quit`: the session ends after this line."""


@dataclass(frozen=True)
class Outcome:
    """What became of one input line: `ok` is False for a bad line, a refusal or an error."""

    line: int
    text: str
    ok: bool
    problem: str = ""
    shown_before: int = 0  # how many console messages existed before this line


@dataclass
class ConsoleSession:
    app: Infochat
    worker: DeliveryWorker
    jobs: JobRunner
    transcript: Transcript
    community: CommunityRef
    write: Callable[[str], None]
    moderators: frozenset[str] = frozenset()
    strict: bool = False
    notes: dict[str, str] = field(default_factory=dict)  # member → what `members` says
    outcomes: list[Outcome] = field(default_factory=list)
    replies: list[tuple[str, Reply]] = field(default_factory=list)
    refusals: int = 0  # how many commands the bot refused

    # ── the loop ────────────────────────────────────────────────────────────────────────

    async def run(self, source: LineSource) -> int:
        """Play lines until `quit` or the end; 1 if `strict` and a line failed, else 0."""
        while (line := source.read(PROMPT, command=True)) is not None:
            number, before = source.number, len(self.transcript.messages)
            text, expected = expects_refusal(line)
            refusals = self.refusals
            try:
                problem = await self._line(text, source)
            except _Quit:
                self.outcomes.append(Outcome(number, line, True, shown_before=before))
                break
            if expected:
                problem = self._expected_refusal(problem, refused=self.refusals > refusals)
            self.outcomes.append(Outcome(number, line, problem is None, problem or "", before))
            if problem is not None and self.strict:
                self.problem(f"stopped at line {number} (--strict): {problem}")
                return 1
        return 0

    async def _line(self, line: str, source: LineSource) -> str | None:
        """Handle one line; the problem, if any, as a short text."""
        try:
            parsed = parse_line(self._with_code(line))
            if parsed is None:
                return None
            parsed = self._canonical(parsed)
            if isinstance(parsed, Meta):
                return self._meta(parsed)
            if isinstance(parsed, Wait):
                return await self._wait(parsed)
            if isinstance(parsed, Show):
                return self._show(parsed)
            if isinstance(parsed, Slash):
                return await self._slash(parsed, source)
            return await self._press(parsed, source)
        except (GrammarError, FormCancelled) as exc:
            self.problem(str(exc))
            return str(exc)
        except _Quit:
            raise
        except Exception:
            log.exception("console line failed: %.200r", line)
            text = "Something went wrong with that line (details in the log); nothing else is affected."
            self.problem(text)
            return text

    def _with_code(self, line: str) -> str:
        """`{code}` stands for the link code shown last: a script can't know a code ahead
        (each is new and random), so `kim@campus /infochat link code={code}` enters the one
        the bot just gave."""
        if CODE_WORD not in line or is_comment(line):
            return line
        code = self.transcript.last_code()
        if code is None:
            raise GrammarError(f"No link code has been shown yet, so {CODE_WORD} means nothing.")
        return line.replace(CODE_WORD, code)

    def _canonical(self, parsed: ConsoleLine) -> ConsoleLine:
        """Handles as the transcript keeps them (`dana@<default place>` is `dana`), and the
        places the line names are in play from now on."""
        if isinstance(parsed, Slash | Press):
            parsed = replace(parsed, member=self.canonical(parsed.member))
            self.transcript.places.add(self.transcript.place_of(parsed.member))
        if isinstance(parsed, Press) and parsed.on and parsed.on.startswith("#"):
            parsed = replace(parsed, on="#" + self.canonical(parsed.on[1:]))
        if isinstance(parsed, Show):
            channel = parsed.target.startswith("#")
            target = self.canonical(parsed.target.removeprefix("#"))
            parsed = Show("#" + target if channel else target)
        return parsed

    def canonical(self, handle: str) -> str:
        """`dana@<default place>` → `dana` (place names are typed in lower case); other
        handles as they are."""
        name, at, place = handle.partition("@")
        return name if at and place == self.community.external_id.lower() else handle

    def _expected_refusal(self, problem: str | None, *, refused: bool) -> str | None:
        """A line marked `#! refused`: the bot's refusal is what it expects; anything else is
        a problem (a bad line stays one)."""
        if refused:
            return None
        if problem is None:
            problem = "expected a refusal (#! refused), but the bot accepted that line"
            self.problem(problem)
        return problem

    def problem(self, text: str) -> None:
        self.write("! " + safe(text))

    # ── console words ───────────────────────────────────────────────────────────────────

    def _meta(self, meta: Meta) -> str | None:
        if meta.word == "quit":
            raise _Quit
        if meta.word == "help":
            self.write(guide(self.app.defaults, self.community.external_id))
        else:
            self.write(self.members_text(meta.place))
        return None

    def members_text(self, place: str | None = None) -> str:
        rows = self.member_rows(place)
        if place is not None and not rows:
            return f"No members on {place} yet: e.g. `sam@{place} /infochat help`."
        if not rows:
            return "No members yet: any name you type is a member, e.g. `sam /infochat help`."
        where = f" on {place}" if place is not None else ""
        return f"Members so far{where}:\n" + "\n".join(rows)

    def member_rows(self, place: str | None = None) -> list[str]:
        """One line per member (of `place` only, if given); with more than one place in
        play, each name says its place."""
        rows = []
        several = self.transcript.several_places
        for name, note in self.notes.items():
            home = self.transcript.place_of(name)
            if place is not None and home != place:
                continue
            shown = f"{name}@{home}" if several and "@" not in name else name
            tags = ["moderator"] if name in self.moderators else []
            rows.append("  " + " · ".join([shown, *tags, *([note] if note else [])]))
        return rows

    def _show(self, show: Show) -> str | None:
        if show.target.startswith("#"):
            items = self.transcript.in_channel(show.target[1:])
            empty = f"Nothing in {show.target} yet."
        else:
            items = self.transcript.private_to(show.target)
            empty = f"Nothing for {show.target} yet."
        places = self.transcript.several_places
        self.write("\n".join(render(i, places=places) for i in items) if items else empty)
        return None

    # ── acting ──────────────────────────────────────────────────────────────────────────

    def actor(self, member: str) -> Actor:
        """`member` is a handle: `dana`, or `dana@campus` on another console place."""
        self.notes.setdefault(member, "")
        name, at, place = member.partition("@")
        where = CommunityRef("console", place, place) if at else self.community
        display = name[:1].upper() + name[1:]
        return Actor(where, name, display, is_moderator=member in self.moderators)

    async def _slash(self, slash: Slash, source: LineSource) -> str | None:
        try:
            parsed = parse_text(slash.text)
        except UserError as exc:  # what a chat member would get back for a garbled command
            self.notes.setdefault(slash.member, "")
            refusal = Reply(ok=False, messages=(Message(text=exc.message),))
            self.replies.append((slash.member, refusal))
            return await self._show_reply(slash.member, refusal)
        args = normalize_member_args(parsed.args)
        reply = await self.dispatch(slash.member, parsed.action, parsed.target, args)
        problem = await self._show_reply(slash.member, reply)
        if reply.ok and reply.form is not None:
            return await self._submit_form(slash.member, reply.form, source)
        return problem

    async def _press(self, press: Press, source: LineSource) -> str | None:
        moderator = press.member in self.moderators
        item, button = self.transcript.find_button(
            press.member, press.button, moderator=moderator, on=press.on
        )
        values = normalize_member_args(press.values)
        if button.form is not None and not values:
            values = fill_form(button.form, press.member, source, self.write)
        reply = await self.dispatch(press.member, button.action, button.target, values)
        problem = await self._show_reply(press.member, reply, pressed=item)
        if reply.ok and reply.form is not None:  # the click needs more first (e.g. a contact)
            return await self._submit_form(press.member, reply.form, source, pressed=item)
        return problem

    async def _submit_form(
        self, member: str, form: Form, source: LineSource, pressed: ConsoleMessage | None = None
    ) -> str | None:
        values = fill_form(form, member, source, self.write)
        if not values:
            raise FormCancelled("Nothing was filled in, so nothing was sent.")
        reply = await self.dispatch(member, form.action, form.target, values)
        problem = await self._show_reply(member, reply, pressed=pressed)
        if reply.form is not None:
            self.problem("The bot asked for the form again; type the command with key=value.")
        return problem

    async def dispatch(
        self, member: str, action: str, target: str, args: dict[str, ArgValue]
    ) -> Reply:
        """One core command as `member`, with a fresh idempotency key."""
        command = Command(self.actor(member), action, uuid.uuid4().hex, target, args)
        reply = await self.app.dispatch(command)
        self.replies.append((member, reply))
        return reply

    async def _show_reply(
        self, member: str, reply: Reply, pressed: ConsoleMessage | None = None
    ) -> str | None:
        """Print the reply privately to `member`, then what the bot delivered because of it."""
        if pressed is not None and reply.update is not None:
            # The outcome, or what the message says now when the press lost to another.
            self.write(render_update(self.transcript.update(pressed.number, reply.update)))
        for message in reply.messages:
            item = self.transcript.add_reply(member, message, ok=reply.ok)
            self.write(render(item, places=self.transcript.several_places))
        if reply.ok and not reply.messages and reply.update is None and reply.form is None:
            self.write(f"(done for {member})")
        for name in await self._drain():
            self.notes.setdefault(name, "")
        if reply.ok:
            return None
        self.refusals += 1
        return reply.messages[0].text if reply.messages else "refused"

    async def _wait(self, wait: Wait) -> str | None:
        """Demo mode: move the clock forward; what falls due on the way (reminders, expiries,
        follow-ups, digests) happens at its time, in order; then deliver what it sent."""
        clock = self.app.clock
        if not isinstance(clock, AdjustableClock):
            text = "`wait` only works in demo mode (`infochat run --demo`): real time can't be skipped."
            self.problem(text)
            return text
        await self.jobs.advance(wait.delta)
        self.write(f"… time passes: it is now {clock.now():%a %d %b %Y %H:%M} UTC.")
        for name in await self._drain():
            self.notes.setdefault(name, "")
        return None

    async def _drain(self) -> Iterable[str]:
        """Run due jobs and deliver the outbox now; the members it reached."""
        before = len(self.transcript.messages)
        await self.jobs.run_due()
        await self.worker.drain()
        delivered = self.transcript.messages[before:]
        return [name for item in delivered if item.kind != "channel" for name in item.members]
