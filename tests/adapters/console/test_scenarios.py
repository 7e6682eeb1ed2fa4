"""Each scenario is a script file played through the console adapter, as a person would type it."""

from __future__ import annotations

from tests.adapters.console.conftest import MakeConsole, scenario


def _text(*messages: object) -> str:
    return "\n".join(str(m) for m in messages)


async def test_opt_in_to_introduction(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)
    assert await console.play(scenario("opt_in_to_introduction.txt")) == 0, console.text

    ask = console.during("sam press Ask Priya", "priya")
    assert [m.kind for m in ask] == ["dm"]
    assert "What does a typical week look like" in _text(ask[0].sent)
    # Nothing was posted to #introductions until priya said yes.
    assert console.private("sam", after="sam press Ask Priya")[-1].kind == "reply"
    assert not [
        m for m in console.groups() if m.number < console.outcome("priya press Accept").shown_before
    ]
    (intro,) = console.groups()
    assert intro.members == ("sam", "priya")
    assert intro.channel == "introductions"
    assert "15 minutes" in _text(intro.message)
    assert "Which skills mattered most" in _text(intro.message)
    assert not console.private("bob")[2:], "bob was never asked"
    status = console.during("sam /infochat status", "sam")
    assert "introduced to Priya" in _text(*(m.sent for m in status))


async def test_decline_moves_on_without_revealing_who(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)
    assert await console.play(scenario("decline_moves_on.txt")) == 0, console.text

    seen_by_sam = console.private("sam", after="priya press Decline")
    assert seen_by_sam, "sam hears that the request moves on"
    assert any("Still looking" in m.message.text for m in seen_by_sam)
    for item in seen_by_sam:
        assert "priya" not in _text(item.sent, item.message).casefold(), item
    # dana was asked only after the decline, and the introduction is sam + dana.
    dana_asks = [m for m in console.private("dana") if m.kind == "dm" and m.sent.buttons]
    assert len(dana_asks) == 1
    assert dana_asks[0].number > console.outcome("priya press Decline").shown_before
    (intro,) = console.groups()
    assert intro.members == ("sam", "dana")
    # The decline itself is acknowledged privately to priya only.
    decline_reply = console.during("priya press Decline", "priya")
    assert any("won't be told who declined" in m.message.text for m in decline_reply)


async def test_moderator_approval_required(make_console: MakeConsole) -> None:
    console = await make_console(moderators=("mo", "mia"))
    await console.play(scenario("moderator_approval.txt"))

    # Exactly the two lines that must be refused were refused.
    assert console.refused() == [
        "sam press Approve on #moderators",
        "mo press Approve on #moderators",
    ]
    (not_mod,) = console.during("sam press Approve on #moderators", "sam")
    assert not not_mod.ok and "Only moderators" in not_mod.message.text
    (own,) = console.during("mo press Approve on #moderators", "mo")
    assert not own.ok and "your own request" in own.message.text

    # Nobody was asked before mo approved; then priya (or dana) was asked and accepted.
    before_approval = console.outcome("mo press Approve").shown_before
    asks = [m for m in console.session.transcript.messages if m.kind == "dm" and m.sent.buttons]
    assert asks and all(m.number > before_approval for m in asks)
    (intro,) = console.groups()
    assert intro.members == ("sam", "priya")

    # mia denied mo's request with a reason that mo sees; nobody was asked for it.
    denied = console.during("mia press Deny", "mo")
    assert any("mentoring thread" in m.message.text for m in denied if m.kind == "dm")
    assert len(asks) == 1
    status = _text(*(m.sent for m in console.during("mo /infochat status", "mo")))
    assert "closed (denied)" in status
    audit = _text(*(m.sent for m in console.during("mia /infochat mod audit", "mia")))
    assert "approve ask:1" in audit and "deny ask:2" in audit


async def test_not_right_now_pauses_the_volunteer(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)
    assert await console.play(scenario("not_right_now.txt")) == 0, console.text

    after_pause = 'priya press "Not right now" until=2026-02-01'
    shown = _text(*(m.sent for m in console.during("priya /infochat volunteer show")))
    assert "paused until 2026-02-01" in shown
    # priya gets no new ask while paused; sam's request went on to grace.
    priya_later = console.private("priya", after=after_pause)
    assert not [m for m in priya_later if m.kind == "dm" and m.sent.buttons]
    grace_asks = [m for m in console.private("grace") if m.kind == "dm" and m.sent.buttons]
    assert len(grace_asks) == 2  # sam's request (moved on) and lee's
    # lee's suggestions list grace only.
    (suggestions,) = (m.sent for m in console.during("lee /infochat request", "lee"))
    assert "Grace" in _text(suggestions)
    assert "Priya" not in _text(suggestions)
    assert [m.members for m in console.groups()] == [("lee", "grace")]


async def test_colleague_suggested_and_asked_for_consent(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)
    assert await console.play(scenario("colleague_consent.txt")) == 0, console.text

    lee_ask = [m for m in console.private("lee") if m.kind == "dm" and m.sent.buttons]
    assert len(lee_ask) == 1
    assert "Priya thought you'd be a good person to ask" in lee_ask[0].sent.text
    assert "moved from backend work" in _text(lee_ask[0].sent)
    # The introduction happened only after lee's own yes, and priya is not part of it.
    (intro,) = console.groups()
    assert intro.number > console.outcome("lee press Accept").shown_before
    assert intro.members == ("sam", "lee")
