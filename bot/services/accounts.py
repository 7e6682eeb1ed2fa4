"""A member's own accounts on the community's places, joined into one member (issue 11).

`/infochat link` on one place gives a one-time code; `/infochat link code=…` on another
place of the same community joins the two accounts: the code's account's person keeps
everything, and the acting account's history moves onto it (see `storage.account_links`).
Two volunteer profiles are never merged silently: the reply offers both, and the code stays
usable until the member picks. `/infochat unlink` splits the acting account off again.
"""

from __future__ import annotations

from bot.commands import arg_str
from bot.errors import InvalidInput
from bot.services.context import Context, Handler
from bot.storage import account_links as store
from bot.storage import audit, link_codes
from bot.storage import requests as request_store
from bot.storage import volunteers as volunteer_store
from bot.storage.account_links import Account
from bot.storage.members import (
    Member,
    community_of_place,
    find_member,
    get_member,
    lock_member,
    person_of,
)
from bot.views import Button, Line, Message, Reply

KEEP = {"this": "the profile of the account you're using now", "other": "the other profile"}
UNLINK_FIRST = "`/infochat unlink` on it first, then link again."


def describe(account: Account) -> str:
    """`Acme Slack (slack) as U123`: enough to tell the accounts apart."""
    return f"{account.place_name} ({account.platform}) as {account.user_id}"


async def acting_account(ctx: Context) -> Member:
    """The account row the command came from (`ctx.actor` is its person when linked)."""
    account = await find_member(ctx.conn, ctx.place.id, ctx.command.actor.user_id)
    assert account is not None  # the dispatcher added it before the handler ran
    return account


def _code_and_keep(ctx: Context) -> tuple[str, str]:
    """From the fields (typed) or the target (a button's `keep:code`)."""
    code = arg_str(ctx.command.args, "code").strip()
    keep = arg_str(ctx.command.args, "keep").strip().lower()
    keep_part, sep, code_part = ctx.command.target.partition(":")
    if sep and not code:
        code, keep = code_part, keep or keep_part.lower()
    if "code" in ctx.command.args and not code:
        raise InvalidInput(
            "Give the code you were shown, e.g. `/infochat link code=K7QF-2MXH-9TRW`, or "
            "`/infochat link` alone for a new one.",
            fields={"code": "The code from your other account."},
        )
    if keep and keep not in KEEP:
        raise InvalidInput(
            "keep is `this` (the profile of the account you're using now) or `other`.",
            fields={"keep": "this or other"},
        )
    return code, keep


async def link(ctx: Context) -> Reply:
    code, keep = _code_and_keep(ctx)
    account = await acting_account(ctx)
    if not code:
        return await _issue(ctx, account)
    found = await link_codes.check(ctx.conn, "account", code, ctx.now)
    if await community_of_place(ctx.conn, found.place_id) != ctx.community.id:
        raise InvalidInput(
            "That code was made on a place that isn't part of this community. A moderator "
            "links the two places first (`/infochat mod link-place`); then link your accounts."
        )
    if found.place_id == ctx.place.id:
        raise InvalidInput(
            "That code was made on this place. Use it on your other place (Slack or Discord): "
            "two accounts on one place can't be linked."
        )
    person = await person_of(ctx.conn, await get_member(ctx.conn, found.member_id))
    # Concurrent links into the same person wait for each other (PostgreSQL), so the checks
    # below see the accounts the other one joined.
    for member_id in sorted({person.id, account.id}):
        await lock_member(ctx.conn, member_id)
    if person.id in (account.id, account.person_id):
        raise InvalidInput("These two accounts are linked already: they are one member.")
    mine = await store.accounts_of(ctx.conn, account.id)
    if account.person_id is not None or len(mine) > 1:
        raise InvalidInput(
            "This account is linked to another account already. To link it to a different "
            f"one, {UNLINK_FIRST}"
        )
    theirs = await store.accounts_of(ctx.conn, person.id)
    if any(a.place_id == ctx.place.id for a in theirs):
        raise InvalidInput(
            "The account that made this code is linked to another account on this place "
            f"already (two accounts on one place can't be one member). {UNLINK_FIRST}"
        )
    if await store.matched_with_each_other(ctx.conn, person.id, account.id):
        raise InvalidInput(
            "These two accounts were matched with each other on a request, so they can't "
            "become one member."
        )
    keep_profile_of: int | None = None
    if await store.has_profile(ctx.conn, person.id) and await store.has_profile(
        ctx.conn, account.id
    ):
        if not keep:
            return await _choose_profile(ctx, person.id, account.id, code)
        keep_profile_of = account.id if keep == "this" else person.id
    await link_codes.mark_used(ctx.conn, found, ctx.now)
    # Told where they were reached until now: a code used by someone else doesn't go unseen.
    await ctx.dm(
        person.id,
        Message(
            title="An account was linked to you",
            text=f"{describe(mine[0])} used your link code: it is one member with you now. "
            f"If that wasn't you, type `/infochat unlink` on {describe(theirs[0])} (the other "
            "accounts leave it) and tell a moderator.",
        ),
    )
    joined = await store.join(ctx.conn, person.id, account.id, keep_profile_of)
    await audit.record(
        ctx.conn,
        ctx.community.id,
        person.id,
        "member.link",
        str(account.id),
        {"person": person.id, "account": account.id, "kept_profile_of": keep_profile_of},
        ctx.now,
    )
    return Reply(messages=(await _linked_message(ctx, person.id, joined, keep_profile_of),))


async def _issue(ctx: Context, account: Member) -> Reply:
    code, expires = await link_codes.issue(
        ctx.conn, "account", ctx.community.id, ctx.place.id, account.id, ctx.now
    )
    text = (
        f"Your code: `{code}`. On your account on the community's other place (Slack or "
        f"Discord), type `/infochat link code={code}` before {expires:%H:%M} UTC (15 "
        "minutes). It works once. Your two accounts then become one member: requests, asks, "
        "chats, capacity and thanks together. Keep the code to yourself: whoever uses it "
        "joins their account to yours."
    )
    if len(await ctx.places()) == 1:
        text += (
            " This community has one place so far: a moderator links the other place to it "
            "first (`/infochat mod link-place`)."
        )
    return Reply(messages=(Message(title="Link your accounts", text=text),))


async def _choose_profile(ctx: Context, person_id: int, account_id: int, code: str) -> Reply:
    """Both accounts volunteer: the member picks the profile to keep (the code stays valid)."""
    here = await volunteer_store.get_profile(ctx.conn, account_id)
    there = await volunteer_store.get_profile(ctx.conn, person_id)
    assert here is not None
    assert there is not None
    plain = link_codes.normalised(code)

    def label(profile_role: str, organisation: str, which: str) -> str:
        return f"Keep {profile_role} at {organisation} ({which})"[:80]

    return Reply(
        messages=(
            Message(
                title="Which volunteer profile do you keep?",
                text="Both accounts have a volunteer profile, and one member has one. Pick the "
                "one to keep; the other is removed (its chats and thanks stay yours). Nothing "
                "is linked until you pick, and your code works until it expires.",
                lines=(
                    Line(label="This account", value=f"{here.role} at {here.organisation}"),
                    Line(label="Other account", value=f"{there.role} at {there.organisation}"),
                ),
                buttons=(
                    Button(
                        label=label(here.role, here.organisation, "this account"),
                        action="member.link",
                        target=f"this:{plain}",
                    ),
                    Button(
                        label=label(there.role, there.organisation, "other account"),
                        action="member.link",
                        target=f"other:{plain}",
                    ),
                ),
            ),
        )
    )


async def _linked_message(
    ctx: Context, person_id: int, joined: store.Joined, keep_profile_of: int | None
) -> Message:
    accounts = await store.accounts_of(ctx.conn, person_id)
    notes = []
    if keep_profile_of is not None:
        notes.append("You kept one volunteer profile; the other is removed.")
    if joined.recognition_changed:
        notes.append(
            "Your accounts differed on public recognition: it is off now (the more private "
            "choice). `/infochat me recognition=on` turns it on."
        )
    if joined.digest_changed:
        notes.append(
            "Your accounts differed on the weekly digest of open requests: it is off now (the "
            "more private choice). `/infochat volunteer edit weekly_digest=yes` turns it on."
        )
    open_requests = await request_store.unfinished_of(ctx.conn, person_id)
    limit = ctx.settings.max_open_requests
    if len(open_requests) > limit:
        notes.append(
            f"You have {len(open_requests)} open requests between your accounts, more than the "
            f"community's limit of {limit}: they all stay open, but a new one waits until "
            "fewer are."
        )
    text = (
        "Your accounts are one member now: requests, asks, chats, capacity and thanks count "
        "together, and messages reach you where you last used infochat. "
        "`/infochat unlink` splits them again."
    )
    return Message(
        title="Accounts linked",
        text=" ".join((text, *notes)),
        lines=tuple(Line(label="Account", value=describe(a)) for a in accounts),
    )


async def unlink(ctx: Context) -> Reply:
    account = await acting_account(ctx)
    person_id = account.person_id if account.person_id is not None else account.id
    before = await store.accounts_of(ctx.conn, person_id)
    if len(before) < 2:
        raise InvalidInput("This account isn't linked to another: there is nothing to unlink.")
    leaving = await store.unlink(ctx.conn, account.id, account.person_id)
    await audit.record(
        ctx.conn,
        ctx.community.id,
        person_id,
        "member.unlink",
        str(account.id),
        {"person": person_id, "left": leaving},
        ctx.now,
    )
    holder = next(a for a in before if a.member_id == person_id)
    left = [a for a in before if a.member_id in leaving]
    if account.person_id is not None:
        text = (
            "This account is on its own now and starts fresh. Everything you did so far "
            "(requests, chats, volunteer profile, thanks) stays with your account "
            f"{describe(holder)}."
        )
    else:
        text = (
            "Your other accounts are on their own now and start fresh; everything you did so "
            "far (requests, chats, volunteer profile, thanks) stays with this account."
        )
    return Reply(
        messages=(
            Message(
                title="Accounts unlinked",
                text=text,
                lines=tuple(Line(label="Unlinked", value=describe(a)) for a in left),
            ),
        )
    )


HANDLERS: dict[str, Handler] = {"member.link": link, "member.unlink": unlink}
