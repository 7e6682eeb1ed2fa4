"""Help, and a member's own overview."""

from __future__ import annotations

from bot.services import ledger
from bot.services.accounts import describe
from bot.services.context import Context, Handler
from bot.services.volunteers import paused, profile_message
from bot.storage import account_links
from bot.storage import volunteers as volunteer_store
from bot.views import Line, Message, Reply

HELP = (
    ("request", "ask for a short chat with someone doing work you're curious about"),
    ("request … replaces=<draft>", "send an edited request in place of a draft the coach kept"),
    ("status", "see your requests"),
    ("cancel <number>", "cancel one of your requests"),
    ("volunteer join", "offer chats: role, organisation, topics, time zone, capacity"),
    ("volunteer edit / show", "change or see your volunteer profile"),
    ("availability", 'set your weekly windows, e.g. windows="Mon 18:00-20:00"'),
    ("volunteer pause [until=YYYY-MM-DD] / resume", "take a break from asks, or come back"),
    ("volunteer leave", "stop volunteering (waiting asks are passed on kindly)"),
    ("home", "everything waiting for you: your profile, asks and requests"),
    ("me export / me delete", "get everything infochat stores about you, or erase it"),
    ("me [recognition=on|off]", "your chats given and received, help chains, recognition"),
    ("link [code=…]", "link your accounts on the community's places (a code, then use it)"),
    ("unlink", "split this account from your other accounts again"),
    ("mod queue / approve <ask> / deny <ask> reason=…", "moderators: introductions to approve"),
    ("mod settings [key=value …] / mod audit", "moderators: community settings and the audit log"),
    ("mod ledger", "moderators: community totals of chats given, received and paid forward"),
    ("mod digest", "moderators: preview this week's digest (nothing is posted)"),
    (
        "mod health [period=4w|12w|1y]",
        "moderators: program health: what needs attention, the figures, a chart",
    ),
    (
        "mod export [period=…] [names=on] [texts=on]",
        "moderators: requests, asks, introductions and chats as CSV files, privately",
    ),
    ("mod setup", "moderators: the setup checklist: settings, how to change them, checks"),
    ("mod places", "moderators: the places (Slack, Discord, console) this community lives on"),
    (
        "mod link-place [code=…]",
        "moderators: a one-time code to link another place; with the code: join it",
    ),
    ("mod unlink-place [number]", "moderators: a linked place leaves, with what came from it"),
)


GROUP_TITLES = {
    "volunteer": "infochat for volunteers",
    "mod": "infochat for moderators",
    "me": "infochat: your own data",
}


async def help_(ctx: Context) -> Reply:
    """All commands; with a group as target (`/infochat mod`), that group's commands."""
    group = ctx.command.target
    if group in GROUP_TITLES:
        lines = tuple(
            Line(label=f"/infochat {usage}", value=what)
            for usage, what in HELP
            if usage.startswith(group + " ")
        )
        text = "`/infochat help` lists every command."
        return Reply(messages=(Message(title=GROUP_TITLES[group], text=text, lines=lines),))
    lines = tuple(Line(label=f"/infochat {usage}", value=what) for usage, what in HELP)
    return Reply(
        messages=(
            Message(
                title="infochat: short, consent-first chats between members",
                text="Seekers ask for 10–30 minutes; volunteers say yes, not now, or no; nobody is "
                "introduced without saying yes. Fields are key=value, e.g. "
                '`/infochat request topic="data engineering" q="…?" q="…?"`, or leave them out '
                "to get a form.",
                lines=lines,
            ),
        )
    )


async def me(ctx: Context) -> Reply:
    note = await ledger.update_recognition(ctx)
    messages = [await ledger.member_message(ctx, note)]
    profile = await volunteer_store.get_profile(ctx.conn, ctx.actor.id)
    if profile is not None and profile.active:
        messages.append(profile_message(profile, "Your volunteer profile", paused(ctx, profile)))
    linked = await account_links.accounts_of(ctx.conn, ctx.actor.id)
    if len(linked) > 1:
        messages.append(
            Message(
                title="Your linked accounts",
                text="These accounts are one member. `/infochat unlink` splits the one you're "
                "using off again.",
                lines=tuple(Line(label="Account", value=describe(a)) for a in linked),
            )
        )
    return Reply(messages=tuple(messages))


HANDLERS: dict[str, Handler] = {"help": help_, "member.me": me}
