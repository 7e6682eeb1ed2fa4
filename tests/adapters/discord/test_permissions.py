"""The bot's effective permissions, computed from REST payloads as Discord documents it, and
checked against discord.py's own arithmetic on random servers."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord import permissions as p
from adapters.discord.bot_client import permissions as needed_by_the_bot
from adapters.discord.setup_probe import NEEDS
from tests.adapters.discord.harness import discordpy_permissions, role
from tests.adapters.discord.payloads import BOT_ID, GUILD_ID, user

CHANNEL_ID = "700000000000000001"
HELPER, MUTED = "800000000000000010", "800000000000000011"
POSTING = p.VIEW_CHANNEL | p.SEND_MESSAGES | p.EMBED_LINKS | p.ATTACH_FILES
NAMED = sum(p.NAMES)


def guild(owner: str = "1") -> dict[str, Any]:
    return {"id": GUILD_ID, "name": "Test guild", "owner_id": owner}


def channel(*overwrites: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": CHANNEL_ID,
        "type": 0,
        "name": "introductions",
        "position": 0,
        "permission_overwrites": list(overwrites),
    }


def member(*roles: str, user_id: str = BOT_ID) -> dict[str, Any]:
    return {"user": user(user_id, "infochat"), "roles": list(roles)}


def overwrite(target: str, allow: int = 0, deny: int = 0, kind: int = p.ROLE) -> dict[str, Any]:
    return {"id": target, "type": kind, "allow": str(allow), "deny": str(deny)}


def roles(everyone: int = POSTING, helper: int = 0, muted: int = 0) -> list[dict[str, Any]]:
    return [role(GUILD_ID, "@everyone", everyone), role(HELPER, "Helper", helper),
            role(MUTED, "Muted", muted)]  # fmt: skip


def effective(
    chan: dict[str, Any], who: dict[str, Any], found: list[dict[str, Any]], **kw: Any
) -> int:
    return p.effective(p.for_channel(guild(**kw), found, chan, who))


def test_administrator_has_everything_whatever_the_overwrites_say() -> None:
    deny_all = overwrite(GUILD_ID, deny=p.ALL)
    mine = member(HELPER)
    assert effective(channel(deny_all), mine, roles(helper=p.ADMINISTRATOR)) == p.ALL
    assert effective(channel(deny_all), member(), roles(everyone=p.ADMINISTRATOR)) == p.ALL
    assert effective(channel(deny_all), member(), roles(everyone=0), owner=BOT_ID) == p.ALL


def test_an_everyone_deny_takes_a_server_permission_away() -> None:
    denied = channel(overwrite(GUILD_ID, deny=p.SEND_MESSAGES))
    have = effective(denied, member(), roles())
    assert have & p.VIEW_CHANNEL
    # Without sending, embeds and files are implicitly denied too.
    assert p.missing(have, POSTING) == ["Send Messages", "Embed Links", "Attach Files"]


def test_a_role_allow_overrides_the_everyone_deny() -> None:
    chan = channel(
        overwrite(GUILD_ID, deny=p.SEND_MESSAGES | p.VIEW_CHANNEL),
        overwrite(HELPER, allow=p.SEND_MESSAGES | p.VIEW_CHANNEL),
    )
    assert p.missing(effective(chan, member(HELPER), roles()), POSTING) == []
    assert effective(chan, member(), roles()) == 0  # without the role: can't even see it


def test_role_allows_beat_role_denies_and_the_member_overwrite_wins_over_both() -> None:
    roles_say = channel(
        overwrite(HELPER, allow=p.SEND_MESSAGES), overwrite(MUTED, deny=p.SEND_MESSAGES)
    )
    assert effective(roles_say, member(HELPER, MUTED), roles()) & p.SEND_MESSAGES
    member_says = channel(
        overwrite(HELPER, allow=p.SEND_MESSAGES),
        overwrite(BOT_ID, deny=p.SEND_MESSAGES, kind=p.MEMBER),
    )
    assert not effective(member_says, member(HELPER), roles()) & p.SEND_MESSAGES
    member_allows = channel(
        overwrite(GUILD_ID, deny=p.VIEW_CHANNEL),
        overwrite(BOT_ID, allow=p.VIEW_CHANNEL, kind=p.MEMBER),
    )
    assert effective(member_allows, member(), roles()) & p.VIEW_CHANNEL


def test_an_overwrite_for_a_role_the_bot_lacks_changes_nothing() -> None:
    chan = channel(overwrite(MUTED, deny=p.ALL))
    assert p.missing(effective(chan, member(HELPER), roles()), POSTING) == []


def test_threads_inherit_the_channel_but_need_send_messages_in_threads() -> None:
    no_send = channel(overwrite(GUILD_ID, deny=p.SEND_MESSAGES))
    found = roles(everyone=POSTING | p.SEND_MESSAGES_IN_THREADS)
    explicit = p.for_channel(guild(), found, no_send, member())
    in_thread = p.effective(explicit, in_thread=True)
    # Sending in the channel is denied; in its threads embeds and files still work.
    assert p.missing(in_thread, p.SEND_MESSAGES_IN_THREADS | p.EMBED_LINKS | p.ATTACH_FILES) == []
    no_threads = channel(overwrite(GUILD_ID, deny=p.SEND_MESSAGES_IN_THREADS))
    in_thread = p.effective(p.for_channel(guild(), found, no_threads, member()), in_thread=True)
    assert p.missing(in_thread, p.SEND_MESSAGES_IN_THREADS | p.EMBED_LINKS) == [
        "Embed Links",
        "Send Messages in Threads",
    ]
    unseen = channel(overwrite(GUILD_ID, deny=p.VIEW_CHANNEL))
    assert p.effective(p.for_channel(guild(), found, unseen, member()), in_thread=True) == 0


def test_what_the_checks_need_is_what_the_bot_asks_for_when_invited() -> None:
    asked = 0
    for need in NEEDS.values():
        asked |= need.channel | need.thread
    assert asked == needed_by_the_bot().value


BITS = st.sampled_from([*sorted(p.NAMES), p.ADMINISTRATOR, p.MANAGE_GUILD])
MASKS = st.sets(BITS, max_size=4).map(sum)
OVERWRITE = st.tuples(st.sampled_from([GUILD_ID, HELPER, MUTED, BOT_ID]), MASKS, MASKS)


@settings(max_examples=150, deadline=None)
@given(
    everyone=MASKS,
    helper=MASKS,
    muted=MASKS,
    has=st.sets(st.sampled_from([HELPER, MUTED])),
    found=st.lists(OVERWRITE, max_size=4, unique_by=lambda o: o[0]),
    owner=st.booleans(),
)
def test_the_same_as_discord_py_computes(
    everyone: int,
    helper: int,
    muted: int,
    has: set[str],
    found: list[tuple[str, int, int]],
    owner: bool,
) -> None:
    server = guild(owner=BOT_ID if owner else "1")
    everyone &= ~p.ADMINISTRATOR if not owner else p.ALL  # keep most cases about overwrites
    listed = roles(everyone, helper, muted)
    chan = channel(*(overwrite(t, a, d, p.MEMBER if t == BOT_ID else p.ROLE) for t, a, d in found))
    who = member(*sorted(has))
    explicit = p.for_channel(server, listed, chan, who)
    for in_thread in (False, True):
        theirs = discordpy_permissions(server, listed, chan, who, in_thread=in_thread)
        mine = p.effective(explicit, in_thread=in_thread)
        # SEND_MESSAGES means nothing in a thread: discord.py passes the channel's on.
        named = NAMED & ~p.SEND_MESSAGES if in_thread else NAMED
        assert mine & named == theirs & named, (in_thread, mine, theirs)
