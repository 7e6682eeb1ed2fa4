"""The volunteer's commands: join, edit, show, availability, pause, resume, leave."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.models import VolunteerProfile
from bot.errors import InvalidInput, UserError
from bot.services import flow
from bot.services.context import Context, Handler
from bot.services.digest import save_weekly_choice
from bot.services.form_views import volunteer_form
from bot.services.forms import parse_volunteer, pause_until
from bot.storage import volunteers as store
from bot.views import Line, Message, Reply


def local_day(when: datetime, timezone: str) -> str:
    return when.astimezone(ZoneInfo(timezone)).date().isoformat()


def profile_message(p: VolunteerProfile, title: str, now_paused: bool) -> Message:
    lines = (
        Line(label="Role", value=" at ".join(x for x in (p.role, p.organisation) if x)),
        Line(label="Topics", value=", ".join(p.topics)),
        Line(label="Affiliations", value=", ".join(p.affiliations) or "—"),
        Line(label="Time zone", value=p.timezone),
        Line(label="Languages", value=", ".join(p.languages) or "—"),
        Line(label="Formats", value=", ".join(p.formats)),
        Line(label="Chats", value=f"up to {p.minutes} minutes, {p.monthly_capacity} a month"),
        Line(label="Weekly windows", value="; ".join(str(w) for w in p.windows) or "—"),
        Line(label="How to reach me after an introduction", value=p.contact or "—"),
    )
    state = "active"
    if not p.active:
        state = "left"
    elif now_paused and p.paused_until is not None:
        state = f"paused until {local_day(p.paused_until, p.timezone)}"
    return Message(title=title, text=f"Status: {state}.", lines=lines)


async def current(ctx: Context) -> VolunteerProfile:
    profile = await store.get_profile(ctx.conn, ctx.actor.id)
    if profile is None or not profile.active:
        raise UserError("You're not a volunteer yet. `/infochat volunteer join` opts you in.")
    return profile


def paused(ctx: Context, p: VolunteerProfile) -> bool:
    return p.paused_until is not None and p.paused_until > ctx.now


async def join(ctx: Context) -> Reply:
    existing = await store.get_profile(ctx.conn, ctx.actor.id)
    if existing is not None and existing.active:
        raise UserError(
            "You're already a volunteer. Use `/infochat volunteer edit` to change your profile."
        )
    if not ctx.command.args:
        return Reply(form=volunteer_form(None))
    profile = parse_volunteer(
        ctx.command.args, None, ctx.actor.id, ctx.actor.user_id, ctx.actor.display_name
    )
    await store.save_profile(ctx.conn, profile, ctx.community.id, ctx.now)
    return Reply(
        messages=(
            profile_message(profile, "Thank you for volunteering!", False),
            Message(
                text="You'll get a private ask whenever someone's request fits you, and you can always "
                "say no or “not right now”. Nobody gets your contact without your yes."
            ),
            *await save_weekly_choice(ctx),
        )
    )


async def edit(ctx: Context) -> Reply:
    profile = await current(ctx)
    if not ctx.command.args:
        return Reply(form=volunteer_form(profile))
    updated = parse_volunteer(
        ctx.command.args, profile, ctx.actor.id, ctx.actor.user_id, ctx.actor.display_name
    )
    await store.save_profile(ctx.conn, updated, ctx.community.id, ctx.now)
    return Reply(
        messages=(
            profile_message(updated, "Profile updated", paused(ctx, updated)),
            *await save_weekly_choice(ctx),
        )
    )


async def availability(ctx: Context) -> Reply:
    unknown = set(ctx.command.args) - {"windows", "timezone"}
    if unknown:
        raise InvalidInput("Availability takes windows=… and timezone=… only.")
    if not ctx.command.args:
        profile = await current(ctx)
        windows = "; ".join(str(w) for w in profile.windows) or "none set"
        return Reply.say(
            f"Your weekly windows ({profile.timezone}): {windows}. "
            'Change them with `/infochat availability windows="Mon 18:00-20:00; Wed 12-13"`.'
        )
    return await edit(ctx)


async def show(ctx: Context) -> Reply:
    profile = await current(ctx)
    return Reply(
        messages=(profile_message(profile, "Your volunteer profile", paused(ctx, profile)),)
    )


async def pause(ctx: Context) -> Reply:
    profile = await current(ctx)
    until = pause_until(
        ctx.command.args, profile.timezone, ctx.now, ctx.settings.not_now_default_days
    )
    await store.set_pause(ctx.conn, ctx.actor.id, until, ctx.now)
    moved = await flow.release_volunteer(ctx, ctx.actor.id)
    extra = f" The {moved} ask(s) waiting for you were passed on." if moved else ""
    return Reply.say(
        f"Paused until {until.date().isoformat()}.{extra} `/infochat volunteer resume` ends it early."
    )


async def resume(ctx: Context) -> Reply:
    profile = await current(ctx)
    if not paused(ctx, profile):
        return Reply.say("You're not paused: you can be asked as usual.")
    await store.set_pause(ctx.conn, ctx.actor.id, None, ctx.now)
    return Reply.say("Welcome back! You can be asked again.")


async def leave(ctx: Context) -> Reply:
    profile = await current(ctx)
    await store.save_profile(ctx.conn, replace(profile, active=False), ctx.community.id, ctx.now)
    moved = await flow.release_volunteer(ctx, ctx.actor.id)
    extra = f" The {moved} ask(s) waiting for you were passed on kindly." if moved else ""
    return Reply.say(
        f"You've left the volunteer list. Thank you for everything you gave.{extra} "
        "`/infochat volunteer join` brings you back any time."
    )


HANDLERS: dict[str, Handler] = {
    "volunteer.join": join,
    "volunteer.edit": edit,
    "volunteer.show": show,
    "volunteer.availability": availability,
    "volunteer.pause": pause,
    "volunteer.resume": resume,
    "volunteer.leave": leave,
}
