"""The pay-it-forward ledger (R11) as members and moderators see it: chats given and
received (confirmed chats only), help chains, and the choice to be recognised publicly."""

from __future__ import annotations

from bot.commands import arg_str
from bot.domain import ledger
from bot.errors import InvalidInput
from bot.services.context import Context, Handler
from bot.storage import ledger as store
from bot.storage.volunteers import month_start
from bot.text import clean
from bot.views import Line, Message, Reply

CHAINS_SHOWN = 5
_ON = frozenset({"on", "yes", "y", "true"})
_OFF = frozenset({"off", "no", "n", "false"})


async def update_recognition(ctx: Context) -> str:
    """`recognition=on|off` on `/infochat me`: a note saying what changed, or ""."""
    if "recognition" not in ctx.command.args:
        return ""
    raw = clean(arg_str(ctx.command.args, "recognition")).lower()
    if raw not in _ON | _OFF:
        raise InvalidInput(
            "recognition takes on or off, e.g. `/infochat me recognition=on`.",
            fields={"recognition": "Say on or off."},
        )
    allowed = raw in _ON
    await store.set_public_recognition(ctx.conn, ctx.actor.id, allowed)
    if allowed:
        return "Done: weekly digests may now thank you by name. "
    return "Done: you won't be named in public digests. "


def chain_text(chain: ledger.Chain, names: dict[int, str]) -> str:
    return " → ".join(names.get(person, "someone") for person in chain)


async def member_message(ctx: Context, note: str = "") -> Message:
    """The member's own ledger, for `/infochat me`."""
    tally = await store.tally(ctx.conn, ctx.community.id, ctx.actor.id)
    chats = await store.chats(ctx.conn, ctx.community.id)
    mine = [c for c in ledger.chains(chats) if ctx.actor.id in c]
    names = await store.names(ctx.conn, {p for c in mine for p in c})
    shown = [chain_text(c, names) for c in mine[:CHAINS_SHOWN]]
    if len(mine) > CHAINS_SHOWN:
        shown.append(f"and {len(mine) - CHAINS_SHOWN} more")
    recognised = await store.public_recognition(ctx.conn, ctx.actor.id)
    recognition = (
        "on: weekly digests may thank you by name (`/infochat me recognition=off` to stop)"
        if recognised
        else "off: only you see this (`/infochat me recognition=on` to be thanked by name in "
        "weekly digests)"
    )
    return Message(
        title=ctx.actor.display_name,
        text=note + "Your chats so far; a chat counts once someone confirms it happened.",
        lines=(
            Line(label="Chats given", value=str(tally.given)),
            Line(label="Chats received", value=str(tally.received)),
            Line(
                label="Help chains you're part of",
                value="\n".join(shown)
                or "none yet: a chain starts when someone who was helped helps someone else",
            ),
            Line(label="Public recognition", value=recognition),
        ),
    )


async def community_totals(ctx: Context) -> Reply:
    """`/infochat mod ledger`: the community's totals, naming nobody."""
    ctx.require_moderator()
    chats = await store.chats(ctx.conn, ctx.community.id)
    this_month = await store.completed_since(
        ctx.conn, ctx.community.id, month_start(ctx.now, ctx.settings.timezone)
    )
    tallies = ledger.tallies(chats).values()
    longest = ledger.longest_chain(chats)
    lines = (
        Line(label="Chats completed", value=f"{len(chats)} ({this_month} this month)"),
        Line(
            label="Waiting for confirmation",
            value=str(await store.waiting_for_confirmation(ctx.conn, ctx.community.id)),
        ),
        Line(label="Members who gave chats", value=str(sum(1 for t in tallies if t.given))),
        Line(label="Members who received chats", value=str(sum(1 for t in tallies if t.received))),
        Line(label="Paid it forward", value=_count(len(ledger.paid_forward(chats)), "member")),
        Line(label="Help chains", value=str(len(ledger.chains(chats)))),
        Line(
            label="Longest chain",
            value=f"{longest} chats ({longest + 1} people in a row)" if longest else "none yet",
        ),
        Line(
            label="Open to public recognition",
            value=_count(await store.recognised_count(ctx.conn, ctx.community.id), "member"),
        ),
    )
    return Reply(
        messages=(
            Message(
                title="Community ledger",
                text="Confirmed chats only; nobody is named here.",
                lines=lines,
            ),
        )
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


HANDLERS: dict[str, Handler] = {"mod.ledger": community_totals}
