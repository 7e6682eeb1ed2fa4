"""Every button the core sends, clicked through Discord interaction payloads: the draft's
Send anyway / Discard, suggestion picks, the ask's four answers, approve / deny with a reason,
slot picks, the follow-up question, thanks, and the home page. A clicked message is updated
without its buttons, so nobody clicks twice; some clicks come after a restart."""

from __future__ import annotations

from datetime import timedelta

from tests.adapters.discord.harness import Call
from tests.adapters.discord.payloads import CHANNELS, click
from tests.adapters.discord.session import USERS, Bot, fields
from tests.support import GOOD_REQUEST, VOLUNTEERS, count

VAGUE = (
    'topic="data engineering" '
    'why="I would love to pick your brain about data engineering and what you do" '
    'q="What does a typical week look like in your role?" '
    'q="Which skills mattered most when you moved into data engineering?"'
)
PRIYA = VOLUNTEERS["priya"] + ' windows="Tue 18:00-20:00; Thu 18-20"'  # Europe/Berlin
SAM = fields(GOOD_REQUEST) + ' timezone=America/New_York windows="Tue-Thu 12:00-14:00"'
DAY = timedelta(days=1)


def updated(call: Call) -> bool:
    """The clicked message was replaced, without buttons."""
    return call.body["type"] == 7 and call.body["data"]["components"] == []


async def join(bot: Bot, *names: str, **profiles: str) -> None:
    for name in names:
        profile = profiles.get(name, VOLUNTEERS.get(name, ""))
        await bot.slash(name, "volunteer", "join", fields=profile)


async def test_a_draft_is_discarded_or_sent_anyway_then_a_volunteer_is_picked(bot: Bot) -> None:
    await join(bot, "priya", "bob")
    await bot.slash("sam", "request", fields=VAGUE)
    assert bot.last_with("sam", "Send anyway").kind == "reply"  # the coach's findings
    assert updated(await bot.press("sam", "Discard"))
    assert await count(bot.world, "requests", status="closed") == 1

    await bot.slash("sam", "request", fields=VAGUE)
    assert updated(await bot.press("sam", "Send anyway"))
    assert await count(bot.world, "requests", status="open") == 1
    assert updated(await bot.press("sam", "Ask Priya"))
    assert bot.last_with("priya", "Accept").kind == "dm"


async def test_decline_moves_on_and_not_right_now_pauses_until_a_date(bot: Bot) -> None:
    await join(bot, "priya", "bob", "chen")
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    assert updated(await bot.press("priya", "Decline"))
    asked_next = [n for n in ("bob", "chen") if any(s.buttons for s in bot.seen_by(n))]
    assert len(asked_next) == 1  # the request moved on; sam is not told who declined
    assert "priya" not in bot.seen_by("sam")[-1].text.lower()

    nxt = asked_next[0]
    assert updated(await bot.press(nxt, "Not right now", until="2026-02-01"))
    shown = await bot.slash(nxt, "volunteer", "show")
    assert "2026-02-01" in str(shown.body) or "1 Feb" in str(shown.body)


async def test_slot_picks_follow_up_and_thanks(bot: Bot) -> None:
    await join(bot, "priya", priya=PRIYA)
    await bot.slash("sam", "request", fields=SAM)
    await bot.press("sam", "Ask Priya")
    await bot.press("priya", "Accept")
    thread = bot.last_with("sam", "Slot 1")
    assert thread.kind == "thread" and "None of these fit" in thread.buttons
    picked = await bot.press("sam", "Slot 1")
    assert picked.body["type"] == 7 and "Picked time" in str(picked.body)
    invites = bot.fake.find("POST", rf"/channels/{thread.channel_id}/messages")
    assert any(name.endswith(".ics") for c in invites for name in c.files)

    await bot.travel(2 * DAY)  # the chat (Tue 6 Jan) is over: did it happen?
    assert bot.last_with("sam", "Yes").kind == "dm"
    assert updated(await bot.press("sam", "Yes"))
    thanks = "Thank you Priya! Hearing how your week looks made the move feel possible."
    assert updated(await bot.press("sam", "Send thanks", text=thanks))
    assert any("made the move feel possible" in s.text for s in bot.seen_by("priya"))
    assert updated(await bot.press("priya", "Yes"))
    assert await count(bot.world, "requests", status="completed") == 1


async def test_none_of_these_fit_not_yet_and_it_didnt_happen(bot: Bot) -> None:
    await join(bot, "priya", priya=PRIYA)
    await bot.slash("sam", "request", fields=SAM)
    await bot.press("sam", "Ask Priya")
    await bot.press("priya", "Accept")
    none_fit = await bot.press("priya", "None of these fit")
    assert none_fit.body["type"] == 7 and "None of the proposed times fit" in str(none_fit.body)
    await bot.travel(3 * DAY)  # no slot was picked: the follow-up comes after three days
    assert updated(await bot.press("sam", "Not yet"))
    assert updated(await bot.press("priya", "It didn't happen"))
    assert await count(bot.world, "requests", status="completed") == 0


async def test_approve_after_a_restart_and_deny_with_a_reason(bot: Bot) -> None:
    bot.moderators = {"mo", "mia"}
    await bot.slash("mo", "mod", "settings", fields="approval_required=true")
    await join(bot, "priya", "bob")
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    approval = bot.last_with("mo", "Approve")
    assert approval.kind == "channel" and approval.channel_id == CHANNELS["moderators"]

    refused = await bot.press("sam", "Approve")  # anyone can click; the core decides
    assert refused.body["type"] == 4 and "moderator" in str(refused.body).lower()
    assert not [s for s in bot.seen_by("priya") if s.buttons and s.kind == "dm"]  # unchanged

    await bot.restart()
    assert updated(await bot.press("mo", "Approve"))
    assert bot.last_with("priya", "Accept").kind == "dm"

    await bot.slash("lee", "request", fields=fields(GOOD_REQUEST))
    await bot.press("lee", "Let the bot choose")
    denied = await bot.press("mia", "Deny", reason="Please ask in the mentoring thread first.")
    assert updated(denied)
    assert any("mentoring thread" in s.text for s in bot.seen_by("lee"))
    assert await count(bot.world, "audit_log") >= 3  # settings, approve, deny


async def test_home_buttons_open_forms_and_act(bot: Bot) -> None:
    await join(bot, "priya")
    await bot.slash("priya", "home")
    # A button whose command answers with a form opens it (press fills and submits it).
    edit = await bot.press("priya", "Edit profile")
    assert "Your volunteer profile**: step 1 of 3 saved" in edit.body["data"]["content"]
    pause = await bot.press("priya", "Pause", until="2026-03-01")
    assert "2026" in str(pause.body) and await count(bot.world, "volunteers", active=True) == 1
    await bot.slash("priya", "home")
    resumed = await bot.press("priya", "Resume")
    assert "Welcome back" in str(resumed.body)

    await bot.slash("sam", "home")
    ask = await bot.press("sam", "Ask for a chat", topic="design")
    assert "step 1 of 3 saved" in ask.body["data"]["content"]
    join_form = await bot.press("sam", "Volunteer", role="Designer")
    assert "step 1 of 3 saved" in join_form.body["data"]["content"]


async def test_someone_elses_or_a_made_up_button_changes_nothing(bot: Bot) -> None:
    await join(bot, "priya", "bob")
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    accept = bot.last_with("priya", "Accept").buttons["Accept"]
    stolen = await bot.send(click(USERS["bob"], "bob", accept))  # bob replays priya's button
    assert stolen.body["type"] == 4 and stolen.body["data"]["flags"] & 64
    assert await count(bot.world, "introductions") == 0
    made_up = await bot.send(click(USERS["bob"], "bob", "not-ours:ask.accept:1"))
    assert "doesn't work" in made_up.body["data"]["content"]
    assert await count(bot.world, "asks", status="asked") == 1
