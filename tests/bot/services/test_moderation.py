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
