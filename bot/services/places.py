"""Moderators join places (a Slack workspace, a Discord server, a console community) into one
community, and unlink them again (issue 11).

Consent is two-sided: a moderator of place A asks for a one-time code (`mod link-place`), a
moderator of place B enters it (`mod link-place code=…`), and B's community joins A's: one
community, A's settings, one volunteer pool, one ledger and digest. `mod unlink-place` gives a
place back to the community it was founded in, with what came from it (see
`storage.place_links.split`); asks still waiting across the split are withdrawn and their
requests move on within their own community, as after any withdrawal.
"""

from __future__ import annotations

from dataclasses import replace

from bot.commands import arg_str
from bot.domain.models import AskStatus
from bot.errors import InvalidInput, NotFound, UserError
from bot.services import digest, flow, followups, housekeeping, pay_it_forward, setup
from bot.services.context import Context, Handler, Scope
from bot.storage import audit, link_codes, place_links
from bot.storage import digest as community_store
from bot.storage import requests as request_store
from bot.storage.members import Place, community_of_place, community_places, find_member
from bot.views import Line, Message, Reply

PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "console"}
# A community's own jobs, one each: the joining community's stop, the joined one has its own.
OWN_JOBS = (digest.WEEKLY, housekeeping.KIND, setup.KIND)
# What each kind of pending job acts on (see where each is scheduled), so unlinking moves it
# with that row.
JOB_TARGETS: dict[str, place_links.JobTarget] = {
    "ask.remind": "ask",
    "ask.expire": "ask",
    "request.expire": "request",
    followups.KIND: "introduction",
    pay_it_forward.KIND: "member",
    digest.PERSONAL: "member",
}


def _named(place: Place) -> str:
    platform = PLATFORM_NAMES.get(place.ref.platform, place.ref.platform)
    return f"{place.ref.name or place.ref.external_id} ({platform})"


def _command(platform: str, words: str, code: str) -> str:
    if platform == "discord":
        return f"/infochat-mod {words} code:{code}"
    return f"/infochat mod {words} code={code}"


async def link_place(ctx: Context) -> Reply:
    ctx.require_moderator()
    code = arg_str(ctx.command.args, "code").strip()
    if not code:
        return await _issue(ctx)
    return await _join(ctx, code)


async def _issue(ctx: Context) -> Reply:
    account = await find_member(ctx.conn, ctx.place.id, ctx.command.actor.user_id)
    assert account is not None  # the dispatcher made it
    code, expires = await link_codes.issue(
        ctx.conn, "place", ctx.community.id, ctx.place.id, account.id, ctx.now
    )
    await audit.record(
        ctx.conn,
        ctx.community.id,
        ctx.actor.id,
        "place code",
        f"place:{ctx.place.id}",
        {"expires": f"{expires:%Y-%m-%d %H:%M} UTC"},
        ctx.now,
    )
    text = (
        f"Your code to link another place to this community: **{code}**\n"
        f"It works once, until {expires:%H:%M} UTC ({link_codes.VALID_FOR.seconds // 60} "
        "minutes). Give it only to a moderator of the other place (a Slack workspace, a "
        "Discord server); there they type:\n"
        f"`{_command('slack', 'link-place', code)}` (Slack, console)\n"
        f"`{_command('discord', 'link-place', code)}` (Discord)\n"
        "Their place then joins this community: one volunteer pool, one ledger and digest, "
        "and this community's settings. A new code replaces this one."
    )
    return Reply.say(text)


async def _join(ctx: Context, code: str) -> Reply:
    used = await link_codes.redeem(ctx.conn, "place", code, ctx.now)
    # The code's place's community now: it may have joined another since the code was made.
    into_id = await community_of_place(ctx.conn, used.place_id)
    if into_id is not None:
        await _still(ctx, into_id, used.place_id)
    into = await community_store.community(ctx.conn, into_id) if into_id is not None else None
    if into is None:
        raise NotFound("The place that code was made on is gone. Ask for a new code.")
    if into.id == ctx.community.id:
        raise UserError(
            "This place is already part of that community: nothing to link. Give the code to "
            "a moderator of the other place."
        )
    joining = ctx.community
    joining_places = await community_places(ctx.conn, joining.id)
    await place_links.join(ctx.conn, joining.id, into.id, OWN_JOBS)
    # The command's place is the joined community's now: its reply is kept there.
    ctx.community = replace(into, ref=ctx.place.ref)
    names = ", ".join(_named(p) for p in joining_places)
    await audit.record(
        ctx.conn,
        into.id,
        ctx.actor.id,
        "link place",
        f"place:{ctx.place.id}",
        {"joined": names, "code_by": used.member_id},
        ctx.now,
    )
    scope = Scope(ctx.conn, ctx.now, into)
    all_places = await scope.places()
    await scope.to_channel(
        into.settings.moderators_channel,
        Message(
            title="Places linked",
            text=f"🔗 {names} joined {into.ref.name or 'this community'}, linked by "
            f"{ctx.actor.display_name}. It is one community now on "
            f"{len(all_places)} places: one volunteer pool, one ledger and digest, and "
            "these settings; moderators on any place can approve and change them. "
            "`/infochat mod places` lists the places; `/infochat mod unlink-place` undoes it.",
        ),
    )
    await scope.flush()
    return Reply.say(
        f"✅ Linked: {names} joined {into.ref.name or 'the other community'}. Its settings "
        "apply here now (`/infochat mod settings`); the moderators of every place were told."
    )


async def _still(ctx: Context, other: int | None = None, other_place: int = 0) -> None:
    """Lock the communities concerned, then check that no concurrent link or unlink moved
    their places since this command read them (engines without serialised writers)."""
    await place_links.lock_communities(
        ctx.conn, (ctx.community.id,) if other is None else (ctx.community.id, other)
    )
    moved = await community_of_place(ctx.conn, ctx.place.id) != ctx.community.id
    if other is not None:
        moved = moved or await community_of_place(ctx.conn, other_place) != other
    if moved:
        raise UserError("Places were linked or unlinked just now. Please try again.")


async def list_places(ctx: Context) -> Reply:
    ctx.require_moderator()
    found = await community_places(ctx.conn, ctx.community.id)
    founded = await place_links.founding_place(ctx.conn, ctx.community.id)
    lines = tuple(
        Line(
            label=str(n),
            value=_named(p)
            + (" (founded here)" if p.id == founded else "")
            + (" (you are here)" if p.id == ctx.place.id else ""),
        )
        for n, p in enumerate(found, start=1)
    )
    text = (
        "Unlink one with `/infochat mod unlink-place <number>`."
        if len(found) > 1
        else "This community lives on this place only. Link another with "
        "`/infochat mod link-place`."
    )
    return Reply(messages=(Message(title="This community's places", text=text, lines=lines),))


async def unlink_place(ctx: Context) -> Reply:
    ctx.require_moderator()
    await _still(ctx)
    found = await community_places(ctx.conn, ctx.community.id)
    leaving = _chosen(ctx, found)
    if len(found) < 2:
        raise UserError("This community lives on one place only: there is nothing to unlink.")
    home_id = await place_links.founding_community(ctx.conn, leaving.id)
    if home_id is None or home_id == ctx.community.id:
        raise UserError(
            f"{_named(leaving)} is where this community was founded: it can't leave itself. "
            "Unlink the other place instead (`/infochat mod places` lists them)."
        )
    community = await community_store.community(ctx.conn, ctx.community.id)
    assert community is not None
    crossing = await place_links.cross_asks(ctx.conn, community.id, leaving.id)
    await place_links.split(ctx.conn, leaving.id, community.id, home_id, JOB_TARGETS)
    home = await community_store.community(ctx.conn, home_id)
    assert home is not None
    staying, returning = Scope(ctx.conn, ctx.now, community), Scope(ctx.conn, ctx.now, home)
    for ask in crossing:
        scope = returning if ask.seeker_leaves else staying
        if await request_store.transition_ask(ctx.conn, ask.ask_id, AskStatus.WITHDRAWN, ctx.now):
            await flow.move_on(scope, ask.request_id)
    await digest.schedule_weekly(ctx.conn, home, ctx.now)
    await housekeeping.schedule_next(ctx.conn, home.id, ctx.now)
    detail = {"place": _named(leaving), "withdrawn_asks": len(crossing)}
    for community_id in (community.id, home.id):
        await audit.record(
            ctx.conn,
            community_id,
            ctx.actor.id,
            "unlink place",
            f"place:{leaving.id}",
            detail,
            ctx.now,
        )
    text = (
        f"{_named(leaving)} left {community.ref.name or 'the community'} (unlinked by "
        f"{ctx.actor.display_name}) and is a community of its own again, with its own "
        "settings. What came from it went with it: its members and volunteers, their "
        "requests and introductions. Linked accounts across the two were split."
    )
    if crossing:
        text += f" {len(crossing)} ask(s) waiting across the two were withdrawn; their requests move on."
    for scope in (staying, returning):
        await scope.to_channel(
            scope.settings.moderators_channel, Message(title="Place unlinked", text="↩️ " + text)
        )
        await scope.flush()
    if leaving.id == ctx.place.id:  # the command's place: its reply is kept there
        ctx.community = replace(home, ref=ctx.place.ref)
    return Reply.say(f"✅ Unlinked. {text}")


def _chosen(ctx: Context, found: tuple[Place, ...]) -> Place:
    """The place a moderator named by its number in `mod places`; none: their own."""
    given = ctx.command.target.strip()
    if not given:
        return next(p for p in found if p.id == ctx.place.id)
    number = int(given) if given.isdigit() and len(given) < 4 else 0
    if not 1 <= number <= len(found):
        raise InvalidInput(
            f"There is no place {given[:20]} in this community: `/infochat mod places` "
            "lists them by number.",
            fields={"place": "Give a number from `/infochat mod places`."},
        )
    return found[number - 1]


HANDLERS: dict[str, Handler] = {
    "mod.link_place": link_place,
    "mod.unlink_place": unlink_place,
    "mod.places": list_places,
}
