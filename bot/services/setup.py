"""The setup checklist in chat: `/infochat mod setup`, and the message the people who set the
bot up get once when it first meets their community.

The checklist shows each community setting with its value and the exact command that
changes it, in the syntax of the community's platform, then the platform's own checks from
its `SetupProbe` (channels exist, the bot may post there…). A probe talks to the platform, so
it runs in the snapshot step before the write transaction (see `Snapshot`), never while the
write lock is held; its checks reach the handler as `prepared`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Command, CommunityRef
from bot.domain.community import CHANNELS, CommunitySettings, problems
from bot.jobs import JobHandler, JobSnapshot
from bot.services.context import Context, Handler, Scope, Snapshot
from bot.setup_checks import Check, SetupProbe
from bot.storage import digest as community_store
from bot.storage import jobs
from bot.storage.jobs import Job
from bot.storage.members import Community
from bot.views import Line, Message, Reply

log = logging.getLogger(__name__)

KIND = "setup.first_meeting"
PROBE_TIMEOUT = 15.0  # seconds a platform gets to answer the checks
PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "the console"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CHANNEL_USES = {
    "moderators_channel": ("Moderators' channel", "approvals and notices for moderators"),
    "introductions_channel": ("Introductions channel", "where introductions happen"),
    "digest_channel": ("Digest channel", "the weekly digest"),
}
# The limits, as a moderator reads them: what each setting means, with its unit.
LIMITS = {
    "max_open_requests": "open requests a member may have at once",
    "default_minutes": "minutes a chat lasts unless the seeker says otherwise",
    "max_minutes": "the longest chat a seeker may ask for, in minutes",
    "suggestions_shown": "volunteers suggested for each request",
    "ask_expiry_days": "days a volunteer has to answer an ask",
    "reminder_after_days": "days before a volunteer is reminded of an ask",
    "request_expiry_days": "days a request stays open",
    "decline_cooldown_days": "days before a volunteer who said no is asked by the same seeker",
    "not_now_default_days": "days a “not now” lasts unless the volunteer says",
    "followup_days": "days after an introduction before asking whether the chat happened",
    "invite_after_chats": "chats after which a seeker is invited to volunteer (0: never)",
}
SHOWN_APART = {"approval_required", "timezone", "digest_weekday", "digest_hour", *CHANNELS}


@dataclass(frozen=True)
class Probed:
    """The platform's checks for one community, made before the transaction; `checks` is
    None when the platform has no probe (the console)."""

    community: CommunityRef
    checks: tuple[Check, ...] | None


def settings_command(platform: str, assignments: str) -> str:
    """The exact command a moderator types on `platform` to change settings."""
    if platform == "discord":
        return f"/infochat-mod settings fields:{assignments}"
    return f"/infochat mod settings {assignments}"


def setup_command(platform: str) -> str:
    return "/infochat-mod setup" if platform == "discord" else "/infochat mod setup"


def approval_text(settings: CommunitySettings, platform: str) -> str:
    if settings.approval_required:
        change = settings_command(platform, "approval_required=false")
        return (
            "Moderators approve every introduction before anyone is asked: on. "
            f"Turn it off with `{change}`."
        )
    change = settings_command(platform, "approval_required=true")
    return (
        "Moderators approve every introduction before anyone is asked: off (volunteers are "
        f"asked straight away). Turn it on with `{change}`."
    )


def checklist(community: Community, probed: Probed | None) -> tuple[Message, ...]:
    """The community's settings as a checklist, then the platform's checks."""
    ref, s = community.ref, community.settings
    platform = ref.platform

    def change(assignments: str) -> str:
        return f"change with `{settings_command(platform, assignments)}`"

    lines = [
        Line(label=label, value=f"#{getattr(s, name)}: {use}; {change(name + '=NAME')}")
        for name, (label, use) in CHANNEL_USES.items()
    ]
    day = WEEKDAYS[s.digest_weekday]
    lines.append(
        Line(
            label="Weekly digest",
            value=f"{day} {s.digest_hour:02d}:00 ({s.timezone}); "
            + change("digest_weekday=0-6 digest_hour=0-23 timezone=Area/City")
            + " (0 = Monday)",
        )
    )
    for name, value in s.model_dump().items():
        if name in SHOWN_APART:
            continue
        meaning = LIMITS.get(name, name.replace("_", " "))
        lines.append(
            Line(label=f"{name} = {value}", value=f"{meaning}; {change(f'{name}={value}')}")
        )
    text = approval_text(s, platform)
    found = problems(s)
    if found:
        text += "\n" + "\n".join(
            Check(False, reason, "change one of them").line()
            for reason in dict.fromkeys(found.values())
        )
    where = ref.name or "this community"
    settings_message = Message(title=f"Setup checklist for {where}", text=text, lines=tuple(lines))
    return settings_message, platform_message(platform, probed)


def platform_message(platform: str, probed: Probed | None) -> Message:
    name = PLATFORM_NAMES.get(platform, platform)
    if probed is None:
        return Message(
            text=f"✘ couldn't check {name} this time — run `{setup_command(platform)}` again."
        )
    if probed.checks is None and platform == "console":
        return Message(text="Nothing to check on the console's side: it has no platform setup.")
    if probed.checks is None:  # this process was started without the platform's probe
        return Message(
            text=f"{name}'s side (channels, permissions) isn't checked from here: "
            "`infochat doctor` checks it where the bot runs."
        )
    if not probed.checks:
        return Message(text=f"{name}: nothing to check.")
    text = "\n".join(check.line() for check in probed.checks)
    return Message(title=f"On {name}", text=text)


async def probe(
    probes: Mapping[str, SetupProbe], community: CommunityRef, settings: CommunitySettings
) -> Probed:
    """The platform's checks, bounded in time; a probe that fails or hangs is one ✘ line."""
    found = probes.get(community.platform)
    if found is None:
        return Probed(community, None)
    name = PLATFORM_NAMES.get(community.platform, community.platform)
    try:
        checks = await asyncio.wait_for(found.check(community, settings), PROBE_TIMEOUT)
    except TimeoutError:
        log.warning("setup: %s didn't answer the checks within %ss", name, PROBE_TIMEOUT)
        return Probed(
            community,
            (Check(False, f"couldn't check {name}", "it didn't answer in time; try again later"),),
        )
    except Exception as exc:
        log.warning("setup: checking %s failed: %s", name, exc.__class__.__name__)
        fix = f"{name} answered with an error ({exc.__class__.__name__}); try again later"
        return Probed(community, (Check(False, f"couldn't check {name}", fix),))
    return Probed(community, tuple(checks))


async def command_snapshot(
    probes: Mapping[str, SetupProbe],
    defaults: CommunitySettings,
    conn: AsyncConnection,
    command: Command,
    now: datetime,
) -> Probed | None:
    """For a moderator: the platform's checks with the community's settings (the defaults
    for a community the bot is meeting with this command)."""
    if not command.actor.is_moderator:
        return None
    community = await community_store.community_of(conn, command.actor.community)
    settings = community.settings if community is not None else defaults
    return await probe(probes, command.actor.community, settings)


async def job_snapshot(
    probes: Mapping[str, SetupProbe], conn: AsyncConnection, job: Job, now: datetime
) -> Probed | None:
    community = await community_store.community(conn, job.community_id)
    if community is None:
        return None
    return await probe(probes, community.ref, community.settings)


def _probed_for(scope: Scope) -> Probed | None:
    prepared = scope.prepared
    if isinstance(prepared, Probed) and prepared.community == scope.community.ref:
        return prepared
    return None


async def show(ctx: Context) -> Reply:
    ctx.require_moderator()
    return Reply(messages=checklist(ctx.community, _probed_for(ctx)))


async def schedule_first_meeting(conn: AsyncConnection, community_id: int, now: datetime) -> None:
    """The checklist goes to whoever set the bot up, once: one job per community, scheduled
    only when the community is created (communities from before this never get it)."""
    await jobs.schedule(conn, community_id, KIND, community_id, now, now)


async def first_meeting(scope: Scope, job: Job) -> None:
    platform = scope.community.ref.platform
    hello = (
        "Hello! infochat is now part of this community. Here is its setup checklist; "
        f"moderators see it again any time with `{setup_command(platform)}`.\n"
    )
    settings, checks = checklist(scope.community, _probed_for(scope))
    await scope.to_admins(settings.model_copy(update={"text": hello + settings.text}))
    await scope.to_admins(checks)


def snapshots(probes: Mapping[str, SetupProbe], defaults: CommunitySettings) -> dict[str, Snapshot]:
    return {"mod.setup": partial(command_snapshot, probes, defaults)}


def job_snapshots(probes: Mapping[str, SetupProbe]) -> dict[str, JobSnapshot]:
    return {KIND: partial(job_snapshot, probes)}


HANDLERS: dict[str, Handler] = {"mod.setup": show}
JOBS: dict[str, JobHandler] = {KIND: first_meeting}
