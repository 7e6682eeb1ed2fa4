"""Moderators: approval before anyone is asked, denial with a reason, settings, the audit log."""

from __future__ import annotations

import pytest

from tests.support import GOOD_REQUEST, World, button, count, join_all, make_world, text_of


@pytest.fixture
async def modworld(tmp_path):  # type: ignore[no-untyped-def]
    w = await make_world(tmp_path / "mod.db", approval_required=True)
    w.moderators.update({"mo", "max"})
    yield w
    await w.db.dispose()


async def propose(world: World, seeker: str = "sam") -> None:
    await join_all(world)
    suggestions = (await world.say(seeker, GOOD_REQUEST)).messages[0]
    reply = await world.press(seeker, button(suggestions, "Ask Priya"))
    assert reply.ok and "moderators" in reply.messages[0].text


async def test_nobody_is_asked_before_approval(modworld: World) -> None:
    await propose(modworld)
    assert not any(m.buttons for m in modworld.inbox("priya"))
    approval = modworld.channel("moderators")[-1]
    assert "Approval needed" in (approval.title or "")
    status = await modworld.say("sam", "/infochat status")
    assert "moderator" in text_of(status.messages[0])
    reply = await modworld.press("mo", button(approval, "Approve"))
    assert reply.ok and reply.update is not None
    assert modworld.last_with_buttons("priya").buttons[0].label == "Accept"
    twice = await modworld.press("max", button(approval, "Approve"))
    assert not twice.ok and "already handled" in twice.messages[0].text
    await modworld.press("priya", button(modworld.last_with_buttons("priya"), "Accept"))
    assert await count(modworld, "introductions") == 1


async def test_non_moderators_and_own_requests_are_refused(modworld: World) -> None:
    await propose(modworld, seeker="mo")
    approval = modworld.channel("moderators")[-1]
    for user in ("sam", "priya"):
        reply = await modworld.press(user, button(approval, "Approve"))
        assert not reply.ok and "Only moderators" in reply.messages[0].text
    own = await modworld.press("mo", button(approval, "Approve"))
    assert not own.ok and "your own request" in own.messages[0].text
    assert await count(modworld, "asks", status="proposed") == 1
    assert (await modworld.press("max", button(approval, "Approve"))).ok


async def test_deny_needs_a_reason_and_tells_the_seeker(modworld: World) -> None:
    await propose(modworld)
    approval = modworld.channel("moderators")[-1]
    assert not (await modworld.press("mo", button(approval, "Deny"))).ok
    assert not (await modworld.press("mo", button(approval, "Deny"), reason="x" * 501)).ok
    reply = await modworld.press(
        "mo", button(approval, "Deny"), reason="Please narrow the topic to one team"
    )
    assert reply.ok
    assert "narrow the topic" in modworld.inbox("sam")[-1].text
    assert await count(modworld, "requests", status="closed") == 1
    assert not (await modworld.press("max", button(approval, "Approve"))).ok


async def test_queue_audit_and_unknown_ids(modworld: World) -> None:
    await propose(modworld)
    queue = await modworld.say("mo", "/infochat mod queue")
    assert len(queue.messages) == 1 and queue.messages[0].buttons
    assert not (await modworld.say("sam", "/infochat mod queue")).ok
    assert not (await modworld.say("mo", "/infochat mod approve 999")).ok
    assert not (await modworld.say("mo", "/infochat mod approve abc")).ok
    assert (await modworld.say("mo", "/infochat mod approve 1")).ok
    audit = await modworld.say("mo", "/infochat mod audit")
    assert "approve ask:1" in text_of(audit.messages[0])
    assert not (await modworld.say("sam", "/infochat mod audit")).ok


async def test_settings_are_validated_and_audited(modworld: World) -> None:
    await modworld.say("sam", "/infochat help")
    assert not (await modworld.say("sam", "/infochat mod settings max_open_requests=5")).ok
    assert not (await modworld.say("mo", "/infochat mod settings max_open_requests=lots")).ok
    assert not (await modworld.say("mo", "/infochat mod settings wallpaper=pink")).ok
    assert not (await modworld.say("mo", "/infochat mod settings timezone=Nowhere/Land")).ok
    reply = await modworld.say(
        "mo", "/infochat mod settings approval_required=false max_open_requests=5"
    )
    assert reply.ok
    shown = await modworld.say("mo", "/infochat mod settings")
    assert "max_open_requests 5" in text_of(shown.messages[0])
    audit = text_of((await modworld.say("mo", "/infochat mod audit")).messages[0])
    assert "settings community" in audit
    await join_all(modworld)
    suggestions = (await modworld.say("sam", GOOD_REQUEST)).messages[0]
    assert (
        "the volunteer has been asked"
        in (await modworld.press("sam", button(suggestions, "Ask Priya"))).messages[0].text
    )


async def test_approval_of_a_volunteer_who_paused_meanwhile_moves_on(modworld: World) -> None:
    await propose(modworld)
    await modworld.say("priya", "/infochat volunteer pause")
    assert await count(modworld, "asks", status="withdrawn") == 1
    approval = modworld.channel("moderators")[0]
    stale = await modworld.press("mo", button(approval, "Approve"))
    assert not stale.ok
    fresh = modworld.channel("moderators")[-1]
    assert "Priya" not in (fresh.title or "")


async def test_approval_of_a_volunteer_with_no_room_names_no_reason(modworld: World) -> None:
    """The approval message and the moderator's reply read the same whether the volunteer
    paused, left or is full: their other asks are nobody else's business (R2)."""
    await propose(modworld)
    async with modworld.db.transaction() as conn:
        await conn.exec_driver_sql("UPDATE volunteers SET monthly_capacity = 0")
    approval = modworld.channel("moderators")[-1]
    reply = await modworld.press("mo", button(approval, "Approve"))
    assert reply.ok and reply.update is not None
    for text in (reply.messages[0].text, reply.update.text):
        assert "can't be asked right now" in text
        assert not any(word in text for word in ("paused", "left", "full"))


async def settings_now(world: World) -> str:
    shown = (await world.say("mo", "/infochat mod settings")).messages[0]
    return "\n".join(f"{line.label} {line.value}" for line in shown.lines) + shown.text


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("introductions_channel=digest", "must be different channels"),
        ("moderators_channel=digest", "must be different channels"),
        ("reminder_after_days=7", "must be shorter than ask_expiry_days"),
        ("reminder_after_days=5 ask_expiry_days=4", "must be shorter than ask_expiry_days"),
        ("ask_expiry_days=40", "must be shorter than request_expiry_days"),
        ("default_minutes=45", "can't be more than max_minutes"),
        ("max_minutes=10", "can't be more than max_minutes"),
        ("moderators_channel=@everyone", "means everyone"),
        ("digest_channel=here", "means everyone"),
        ("digest_channel=channel", "means everyone"),
        ('introductions_channel="#intros"', "without #"),
        ('introductions_channel="new intros"', "without #"),
        ('digest_channel="<!subteam^S1>"', "without #"),
        ("digest_channel=<@&42>", "without #"),
    ],
)
async def test_contradictory_settings_are_refused_with_the_reason(
    modworld: World, change: str, reason: str
) -> None:
    await settings_now(modworld)  # the first answer also says how approval works
    before = await settings_now(modworld)
    reply = await modworld.say("mo", f"/infochat mod settings {change}")
    assert not reply.ok
    assert reason in reply.messages[0].text and "nothing was changed" in reply.messages[0].text
    assert set(reply.field_errors) & {key.split("=")[0] for key in change.split()}
    assert await settings_now(modworld) == before
    assert await count(modworld, "audit_log") == 0


async def test_saved_contradictions_still_work_and_are_shown_until_fixed(modworld: World) -> None:
    import sqlalchemy as sa

    from bot.storage.schema import communities

    await modworld.say("mo", "/infochat mod settings")
    async with modworld.db.transaction() as conn:
        stored = (await conn.execute(sa.select(communities.c.settings))).scalar_one()
        older = {**stored, "digest_channel": "introductions"}  # saved before it was checked
        await conn.execute(sa.update(communities).values(settings=older))
    await propose(modworld)  # the community works as before
    assert "must be different channels" in await settings_now(modworld)
    refused = await modworld.say("mo", "/infochat mod settings max_open_requests=5")
    assert not refused.ok and "digest_channel" in refused.messages[0].text
    fixed = await modworld.say("mo", "/infochat mod settings digest_channel=weekly")
    assert fixed.ok
    assert "contradict" not in await settings_now(modworld)
