"""Members are named as Slack shows them (display name, then real name, then the handle),
read with users.info through a bounded, expiring cache; code on the way to an ack reads the
cache only."""

from __future__ import annotations

from adapters.slack.app import web_client
from adapters.slack.users import Users, name_of
from bot.storage.schema import members
from tests.adapters.slack.clicks import settle
from tests.adapters.slack.harness import Slack


def test_the_name_shown_is_the_display_name_then_the_real_name_then_the_handle() -> None:
    profile = {"display_name": "Inês", "real_name": "Inês Varga"}
    assert name_of({"name": "ines.varga", "profile": profile}) == "Inês"
    assert name_of({"name": "ines.varga", "profile": {**profile, "display_name": " "}}) == (
        "Inês Varga"
    )
    assert name_of({"name": "ines.varga", "real_name": "Ines V", "profile": {}}) == "Ines V"
    assert name_of({"name": "ines.varga"}) == "ines.varga"
    assert name_of({"profile": "odd"}) == ""


async def test_a_member_is_named_by_their_display_name_not_their_handle(slack: Slack) -> None:
    slack.fake.fail(
        "users.info",
        ok=True,
        user={
            "id": "UINES",
            "name": "ines.varga",
            "profile": {"display_name": "", "real_name": "Inês Varga"},
        },
    )
    await slack.command("UINES", "status")
    await settle()
    assert (await slack.one(members.c.display_name)).display_name == "Inês Varga"
    await slack.command("UINES", "help")  # within the cache's lifetime: not read again
    await settle()
    assert len(slack.fake.of("users.info")) == 1


async def test_the_cache_expires_and_stays_bounded(slack: Slack) -> None:
    now = [0.0]
    client = web_client("xoxb-test", f"{slack.fake.url}api/")
    users = Users(client, ttl=60, size=2, monotonic=lambda: now[0])
    assert users.cached("UDANA") is None and not slack.fake.calls  # never asks Slack
    dana = await users.get("UDANA")
    assert dana is not None and dana.name == "Dana"
    assert users.cached("UDANA") == dana
    await users.get("UDANA")
    assert len(slack.fake.of("users.info")) == 1
    now[0] = 61
    await users.get("UDANA")  # expired: read again
    assert len(slack.fake.of("users.info")) == 2
    await users.get("USAM")
    await users.get("UMO")  # a third member: the least recently read is forgotten
    assert users.cached("UDANA") is None and users.cached("UMO") is not None
    slack.fake.fail("users.info", ok=False, error="ratelimited")
    now[0] = 200
    assert await users.get("UMO") == users.cached("UMO")  # Slack won't say: the last known
