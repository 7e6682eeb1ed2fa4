"""The console scenario (docs/walkthrough.txt and tests/adapters/console/scenarios) replayed
through Discord interactions: opt-in, a request through the form with the coach, moderator
approval, acceptance, the introduction as a private thread with both members and the .ics,
the follow-up, thanks, the ledger and the digest; then a decline that moves on, and a
colleague suggestion that needs the colleague's own yes."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.adapters.discord.payloads import CHANNELS, buttons_of, fill
from tests.adapters.discord.session import USERS, Bot, fields
from tests.support import GOOD_REQUEST, count

DAY = timedelta(days=1)
WHY = (
    "I'm a backend developer moving toward data pipelines and want to hear how the work "
    "differs day to day"
)
QUESTIONS = (
    "What does a typical week look like in your role?\n"
    "Which skills mattered most when you moved into data engineering?"
)
PRIYA = 'role="Data engineer" org=Acme topics="data engineering" timezone=Europe/Berlin'
DANA = 'role="Analytics engineer" org=Northwind topics="data engineering, analytics" timezone=Europe/Lisbon'


def threads(bot: Bot) -> list[str]:
    """Ids of the private threads opened in #introductions."""
    created = bot.fake.find("POST", rf"/channels/{CHANNELS['introductions']}/threads")
    assert all(c.body["type"] == 12 for c in created)  # private threads
    added = [c.path.split("/")[2] for c in bot.fake.find("PUT", r".*/thread-members/\d+")]
    return list(dict.fromkeys(added))


def members_of(bot: Bot, thread_id: str) -> set[str]:
    return {
        c.path.rsplit("/", 1)[1]
        for c in bot.fake.find("PUT", rf"/channels/{thread_id}/thread-members/\d+")
    }


async def request_through_the_form(bot: Bot) -> None:
    """sam fills the request form: too vague at first, then fixed with Edit and resend."""
    modal = (await bot.slash("sam", "request")).body["data"]
    vague = {"topic": "data engineering", "why": "career change", "questions": "Any advice?"}
    await bot.send(fill(USERS["sam"], "sam", modal, vague))
    await bot.press("sam", "Add details", affiliations="Le Wagon")
    await bot.press("sam", "Add details", timezone="America/New_York")
    # The last page sent the request: the coach stopped it, and nothing was created.
    assert await count(bot.world, "requests") == 0
    assert "Why this field" in bot.last_with("sam", "Edit and resend").text
    await bot.press("sam", "Edit and resend", why=WHY, questions=QUESTIONS)
    assert await count(bot.world, "requests", status="open") == 1


async def test_the_walkthrough_from_opt_in_to_the_digest(bot: Bot) -> None:
    bot.moderators = {"mo"}
    await bot.slash("mo", "mod", "settings", fields="approval_required=true")
    # 1. alex opts in with the slash options (autocompleted topic and time zone).
    joined = await bot.slash(
        "alex", "volunteer", "join", role="Analytics engineer", organisation="Northwind",
        topics="data engineering, analytics", timezone="Europe/Lisbon",
        affiliations="Le Wagon", capacity=2, windows="Mon-Fri 18:00-20:00",
    )  # fmt: skip
    assert joined.body["data"]["flags"] & 64
    # 2–3. sam's request, through the form and the coach.
    await request_through_the_form(bot)
    # 4. sam picks alex; 5. the moderator approves.
    await bot.press("sam", "Ask Alex")
    assert not [s for s in bot.seen_by("alex") if s.kind == "dm"]  # not asked before approval
    assert (await bot.press("mo", "Approve")).body["type"] == 7
    # 6. alex says yes: a private thread with both members, times that suit both.
    await bot.press("alex", "Accept")
    (thread,) = threads(bot)
    assert members_of(bot, thread) == {USERS["sam"], USERS["alex"]}
    intro = bot.last_with("sam", "Slot 1")
    assert intro.kind == "thread" and "Introduction: Sam meet Alex" in intro.text
    status = await bot.slash("sam", "status")
    assert "introduced to Alex" in json.dumps(status.body)
    # 7. sam picks a time: the calendar invite goes to the same thread.
    await bot.press("sam", "Slot 1")
    posted = bot.fake.find("POST", rf"/channels/{thread}/messages")
    assert any(f.endswith(".ics") for c in posted for f in c.files)
    # 8. After the chat: did it happen, thanks, and alex's yes.
    await bot.travel(4 * DAY)
    await bot.press("sam", "Yes")
    thanks = "Thank you Alex! Hearing how your week really looks made the move feel possible."
    await bot.press("sam", "Send thanks", text=thanks)
    assert any("A thank-you from Sam" in s.text for s in bot.seen_by("alex"))
    await bot.press("alex", "Yes")
    # 9. The ledger.
    await bot.slash("alex", "me", recognition="on")
    me = json.dumps((await bot.slash("sam", "me")).body)
    assert "Chats received" in me and "1" in me
    # 10. The digest: previewed by the moderator, then posted a week later.
    preview = await bot.slash("mo", "mod", "digest")
    assert preview.body["data"]["flags"] & 64
    await bot.travel(7 * DAY)
    digest = bot.fake.find("POST", rf"/channels/{CHANNELS['digest']}/messages")
    assert digest and "Alex" in json.dumps(digest[-1].body)
    assert all(c.body["allowed_mentions"]["parse"] == [] for c in digest)


async def test_a_decline_moves_on_and_a_colleague_must_say_yes_too(bot: Bot) -> None:
    await bot.slash("priya", "volunteer", "join", fields=PRIYA)
    await bot.slash("dana", "volunteer", "join", fields=DANA)
    # (b) A decline moves the request on; sam is never told who declined.
    await bot.slash("sam", "request", fields=fields(GOOD_REQUEST))
    await bot.press("sam", "Ask Priya")
    await bot.press("priya", "Decline")
    assert "Priya" not in json.dumps([s.body for s in bot.seen_by("sam")][-1])
    status = json.dumps((await bot.slash("sam", "status")).body)
    assert "Priya" not in status
    await bot.press("dana", "Accept")
    (thread,) = threads(bot)
    assert members_of(bot, thread) == {USERS["sam"], USERS["dana"]}

    # (e) lee asks priya, who suggests chen; no introduction until chen says yes.
    await bot.slash("lee", "request", fields=fields(GOOD_REQUEST))
    await bot.press("lee", "Ask Priya")
    note = "Chen moved from backend work into data engineering last year."
    suggested = await bot.press(
        "priya", "Suggest a colleague", colleague=f"<@{USERS['chen']}>", note=note
    )
    assert suggested.body["type"] == 7  # the ask is updated: nobody clicks twice
    ask = bot.last_with("chen", "Accept")
    assert ask.kind == "dm" and "Chen moved from backend" in ask.text
    assert len(threads(bot)) == 1
    await bot.press("chen", "Accept")
    assert len(threads(bot)) == 2
    assert members_of(bot, threads(bot)[-1]) == {USERS["lee"], USERS["chen"]}
    assert "Edit and resend" not in buttons_of(ask.body)
