"""`/infochat mod export` through the core: four CSV files in the moderator's DMs,
pseudonymised by default, names and texts only when asked (and audited), refusals."""

from __future__ import annotations

import base64
import csv
import io
from datetime import timedelta

import pytest

from bot.views import Attachment
from tests.support import GOOD_REQUEST, World, button, count, join_all, text_of

DAY = timedelta(days=1)
FILES = ("requests", "asks", "introductions", "chats")


async def history(world: World) -> None:
    """Sam asks priya, they chat, sam thanks her (with a formula-like text); an hour on."""
    world.moderators.add("mo")
    await join_all(world, ("priya", "bob"))
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    assert (await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))).ok
    await world.travel(3 * DAY)
    asked = [m for m in world.inbox("sam") if (m.title or "").startswith("Did your chat")][-1]
    done = await world.press("sam", button(asked, "Yes"))
    thanks = button(done.messages[1], "Send thanks")
    assert (await world.press("sam", thanks, text="=Thanks a lot, Priya!")).ok
    await world.travel(timedelta(hours=1))


def files(world: World, user: str = "mo") -> list[Attachment]:
    return [a for m in world.inbox(user) for a in m.attachments]


def table(attachment: Attachment) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(base64.b64decode(attachment.data).decode())))


async def test_pseudonymised_by_default_with_a_code_per_member_per_export(world: World) -> None:
    await history(world)
    reply = await world.say("mo", "/infochat mod export")
    assert reply.ok and "pseudonymised" in reply.messages[0].text
    sent = files(world)
    assert [a.filename for a in sent] == [f"infochat-{n}-4w-20260108-1000.csv" for n in FILES]
    assert {a.content_type for a in sent} == {"text/csv"}
    requests, asks, introductions, chats = (table(a) for a in sent)
    assert [r["topic"] for r in requests] == ["data engineering"]
    assert "why" not in requests[0] and "seeker_name" not in requests[0]
    sam, priya = requests[0]["seeker"], asks[0]["volunteer"]
    assert sam.startswith("m-") and sam != priya
    assert (introductions[0]["seeker"], introductions[0]["volunteer"]) == (sam, priya)
    assert (chats[0]["seeker"], chats[0]["volunteer"], chats[0]["thanked"]) == (sam, priya, "yes")
    assert "thanks_text" not in chats[0]
    raw = b"".join(base64.b64decode(a.data) for a in sent)
    assert b"Sam" not in raw and b"Priya" not in raw

    assert (await world.say("mo", "/infochat mod export")).ok
    again = table(files(world)[4])
    assert again[0]["seeker"] != sam  # a new key each export: codes match nothing else


async def test_names_and_texts_when_asked_and_audited(world: World) -> None:
    await history(world)
    reply = await world.say("mo", "/infochat mod export period=12w names=on texts=on")
    assert reply.ok
    requests, asks, _, chats = (table(a) for a in files(world))
    assert requests[0]["seeker_name"] == "Sam" and asks[0]["volunteer_name"] == "Priya"
    assert requests[0]["why"].startswith("I am a backend developer")
    assert chats[0]["thanks_text"] == "'=Thanks a lot, Priya!"  # never a spreadsheet formula
    audit = text_of((await world.say("mo", "/infochat mod audit")).messages[0])
    assert "export 12w names=True, texts=True" in audit


async def test_members_are_refused_and_get_no_files(world: World) -> None:
    await history(world)
    reply = await world.say("sam", "/infochat mod export names=on")
    assert not reply.ok and "Only moderators" in reply.messages[0].text
    assert files(world, "sam") == [] and await count(world, "audit_log") == 0


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("/infochat mod export names=maybe", "names takes on or off"),
        ("/infochat mod export texts=yes", "texts takes on or off"),
        ("/infochat mod export period=2w", "I don't know the period “2w”."),
        ("/infochat mod export 12w everything", "I didn't understand “everything”."),
        ("/infochat mod export emails=on", "I don't know the field “emails”."),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_sent_or_audited(
    world: World, text: str, said: str
) -> None:
    await history(world)
    outbox = await count(world, "outbox")
    reply = await world.say("mo", text)
    assert not reply.ok and reply.messages[0].text.startswith(said)
    assert await count(world, "outbox") == outbox and await count(world, "audit_log") == 0
