"""Forms as modal pages: page 1 (required fields first), *Step 1 of N saved* with
[Add details] and [Send now], drafts kept per member and form, field errors with
[Edit and resend], selects for choices, lost drafts after a restart or expiry, and the
slash options (choices, autocomplete) that skip the form."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.adapters.discord.harness import Call
from tests.adapters.discord.payloads import (
    CHANNELS,
    autocomplete,
    buttons_of,
    click,
    fill,
    inputs_of,
    message_payload,
    slash,
    user,
)
from tests.adapters.discord.session import CALLBACK, USERS, Bot
from tests.support import VOLUNTEERS, count

WHY = (
    "I am a backend developer moving toward data pipelines and want to hear how the work "
    "differs day to day"
)
QUESTIONS = (
    "What does a typical week look like in your role?\n"
    "Which skills mattered most when you moved into data engineering?"
)
PAGE_1 = {"topic": "data engineering", "why": WHY, "questions": QUESTIONS}


def shown(call: Call) -> dict[str, Any]:
    """The message an initial response showed (new or updated), as Discord would keep it."""
    return message_payload(CHANNELS["introductions"], call.body["data"])


async def join_volunteers(bot: Bot) -> None:
    for name in VOLUNTEERS:
        await bot.slash(name, "volunteer", "join", fields=VOLUNTEERS[name])


async def open_request(bot: Bot) -> dict[str, Any]:
    callback = await bot.slash("sam", "request")
    assert callback.body["type"] == 9  # a modal
    return callback.body["data"]


async def test_a_request_with_no_options_opens_page_one_of_the_form(bot: Bot) -> None:
    modal = await open_request(bot)
    assert modal["title"].endswith("(1/3)")
    inputs = inputs_of(modal)
    assert [i["custom_id"] for i in inputs] == ["topic", "why", "questions", "minutes", "format"]
    assert all(i["required"] for i in inputs[:3])  # the required fields come first
    minutes, fmt = [i for i in inputs if i["type"] == 3]  # choices are selects in labels
    assert [o["value"] for o in fmt["options"] if o["default"]] == ["video"]
    # Minutes offered stop at the community's maximum (30 by default); the default is chosen.
    assert [o["value"] for o in minutes["options"]] == ["10", "15", "20", "30"]
    assert [o["value"] for o in minutes["options"] if o["default"]] == ["15"]
    assert len(modal["components"]) <= 5


async def test_page_one_then_details_then_send_now(bot: Bot) -> None:
    await join_volunteers(bot)
    modal = await open_request(bot)
    step = await bot.send(fill(USERS["sam"], "sam", modal, {**PAGE_1, "format": ["phone"]}))
    assert step.body["type"] == 4 and step.body["data"]["flags"] & 64
    assert "step 1 of 3 saved" in step.body["data"]["content"]
    assert set(buttons_of(step.body["data"])) == {"Add details", "Send now"}
    assert await count(bot.world, "requests") == 0  # nothing is sent before the member says so

    add = click(USERS["sam"], "sam", buttons_of(step.body["data"])["Add details"], in_dm=False)
    page_2 = (await bot.send(add)).body["data"]
    assert page_2["title"].endswith("(2/3)")
    assert [i["custom_id"] for i in inputs_of(page_2)][:2] == ["time_frame", "role"]
    values = {"role": "Data engineer", "organisation": "Acme"}
    step_2 = await bot.send(fill(USERS["sam"], "sam", page_2, values, message=shown(step)))
    assert step_2.body["type"] == 7  # the step message is updated, not repeated
    assert "step 2 of 3 saved" in step_2.body["data"]["content"]

    send = click(USERS["sam"], "sam", buttons_of(step_2.body["data"])["Send now"], in_dm=False)
    sent = await bot.send(send)
    assert sent.body["type"] == 7 and sent.body["data"]["components"] == []
    followup = await bot.followup(send)
    assert "request #1" in json.dumps(followup.body).lower()
    assert await count(bot.world, "requests", format="phone", target_role="Data engineer") == 1


async def test_the_last_page_sends_the_form(bot: Bot) -> None:
    await join_volunteers(bot)
    modal = await open_request(bot)
    step = await bot.send(fill(USERS["sam"], "sam", modal, PAGE_1))
    for page in (2, 3):
        add = click(USERS["sam"], "sam", buttons_of(step.body["data"])["Add details"], in_dm=False)
        next_page = (await bot.send(add)).body["data"]
        assert next_page["title"].endswith(f"({page}/3)")
        values = {"timezone": "Europe/Berlin"} if page == 3 else {}
        step = await bot.send(fill(USERS["sam"], "sam", next_page, values, message=shown(step)))
    assert step.body["type"] == 7  # the step message says it was sent
    assert await count(bot.world, "requests") == 1


async def test_field_errors_come_back_with_edit_and_resend(bot: Bot) -> None:
    await join_volunteers(bot)
    modal = await open_request(bot)
    vague = {**PAGE_1, "why": "career change", "questions": "Any advice?"}
    step = await bot.send(fill(USERS["sam"], "sam", modal, vague))
    send = click(USERS["sam"], "sam", buttons_of(step.body["data"])["Send now"], in_dm=False)
    await bot.send(send)
    errors = (await bot.followup(send)).body
    assert errors["flags"] & 64 and "Edit and resend" in buttons_of(errors)
    assert await count(bot.world, "requests") == 0  # bad input changes nothing

    fix = click(USERS["sam"], "sam", buttons_of(errors)["Edit and resend"], in_dm=False)
    reopened = (await bot.send(fix)).body["data"]
    assert reopened["title"].endswith("(1/3)")  # the page of the first field in error…
    prefilled = {i["custom_id"]: i.get("value") for i in inputs_of(reopened)}
    assert prefilled["topic"] == "data engineering"  # …with what was typed
    assert prefilled["why"] == "career change"
    resent = await bot.send(
        fill(USERS["sam"], "sam", reopened, PAGE_1, message=message_payload("1", errors))
    )
    assert resent.body["type"] == 7  # submitting the fix resends at once
    assert await count(bot.world, "requests") == 1


async def test_a_draft_is_kept_when_the_form_is_opened_again(bot: Bot) -> None:
    modal = await open_request(bot)
    await bot.send(fill(USERS["sam"], "sam", modal, {**PAGE_1, "topic": "design"}))
    again = inputs_of(await open_request(bot))
    assert again[0]["value"] == "design"
    other = inputs_of((await bot.slash("bob", "request")).body["data"])
    assert "value" not in other[0] or not other[0]["value"]  # drafts are per member


async def test_a_lost_draft_asks_to_start_again(bot: Bot) -> None:
    modal = await open_request(bot)
    step = await bot.send(fill(USERS["sam"], "sam", modal, PAGE_1))
    send_id = buttons_of(step.body["data"])["Send now"]
    stranger = await bot.send(click(USERS["bob"], "bob", send_id, in_dm=False))
    assert "start again" in json.dumps(stranger.body)  # someone else's draft is unknown

    await bot.restart()
    after = await bot.send(click(USERS["sam"], "sam", send_id, in_dm=False))
    assert after.body["type"] == 4 and after.body["data"]["flags"] & 64
    assert "start again" in after.body["data"]["content"]
    late_submit = await bot.send(fill(USERS["sam"], "sam", modal, PAGE_1))
    assert "start again" in late_submit.body["data"]["content"]
    assert await count(bot.world, "requests") == 0


async def test_a_draft_expires(bot: Bot) -> None:
    modal = await open_request(bot)
    step = await bot.send(fill(USERS["sam"], "sam", modal, PAGE_1))
    bot.world.clock.advance(timedelta(minutes=31))
    late = await bot.send(
        click(USERS["sam"], "sam", buttons_of(step.body["data"])["Send now"], in_dm=False)
    )
    assert "start again" in late.body["data"]["content"]


async def test_the_volunteer_profile_in_pages_with_a_multiple_choice(bot: Bot) -> None:
    modal = (await bot.slash("priya", "volunteer", "join")).body["data"]
    assert modal["title"].endswith("(1/3)")  # five fields a page
    ids = [i["custom_id"] for i in inputs_of(modal)]
    assert ids == ["role", "organisation", "topics", "timezone", "affiliations"]
    page_1 = {
        "role": "Data engineer",
        "organisation": "Acme",
        "topics": "data engineering, python",
        "timezone": "Europe/Berlin",
    }
    step = await bot.send(fill(USERS["priya"], "priya", modal, page_1))
    add = click(USERS["priya"], "priya", buttons_of(step.body["data"])["Add details"], in_dm=False)
    page_2 = (await bot.send(add)).body["data"]
    (formats,) = [i for i in inputs_of(page_2) if i["custom_id"] == "formats"]
    assert formats["type"] == 3 and formats["max_values"] == 4
    values = {"formats": ["video", "phone"], "monthly_capacity": "3"}
    done = await bot.send(fill(USERS["priya"], "priya", page_2, values, message=shown(step)))
    assert done.body["type"] == 7
    # Page 3 (how to reach me after an introduction) is optional: send now.
    send = click(USERS["priya"], "priya", buttons_of(done.body["data"])["Send now"], in_dm=False)
    assert "sent." in json.dumps((await bot.send(send)).body)
    shown_profile = await bot.slash("priya", "volunteer", "show")
    text = json.dumps(shown_profile.body)
    assert "video, phone" in text and "Acme" in text

    edit = (await bot.slash("priya", "volunteer", "edit")).body["data"]
    assert {i["custom_id"]: i.get("value") for i in inputs_of(edit)}["organisation"] == "Acme"


async def test_slash_options_skip_the_form(bot: Bot) -> None:
    await join_volunteers(bot)
    questions = "What does a typical week look like? | Which skills mattered most?"
    callback = await bot.slash(
        "sam", "request", topic="data engineering", why=WHY, questions=questions,
        minutes=20, format="video", timezone="Europe/Berlin",
    )  # fmt: skip
    assert callback.body["type"] == 4 and "Request #1 is open" in json.dumps(callback.body)
    assert await count(bot.world, "requests") == 1


async def test_options_have_choices_and_autocomplete(bot: Bot) -> None:
    top, _ = bot.fake.find("PUT", r"/applications/\d+/guilds/\d+/commands")[-1].body
    request = next(o for o in top["options"] if o["name"] == "request")
    options = {o["name"]: o for o in request["options"]}
    assert {c["value"] for c in options["format"]["choices"]} >= {"video", "phone"}
    assert 15 in {c["value"] for c in options["minutes"]["choices"]}
    assert options["topic"]["autocomplete"] and options["timezone"]["autocomplete"]
    assert options["fields"]["required"] is False and options["topic"]["description"]

    await join_volunteers(bot)
    typing = autocomplete(USERS["sam"], "sam", ("request",), "topic", "data")
    await bot.send(typing)
    (answer,) = bot.fake.find("POST", CALLBACK.format(id=typing["id"]))
    assert answer.body["type"] == 8  # autocomplete result
    names = [c["value"] for c in answer.body["data"]["choices"]]
    assert names[0].startswith("data") and "data engineering" in names

    zone = autocomplete(USERS["priya"], "priya", ("volunteer", "edit"), "timezone", "berl")
    names = [c["value"] for c in (await bot.send(zone)).body["data"]["choices"]]
    assert names == ["Europe/Berlin"]
    topics = autocomplete(USERS["priya"], "priya", ("volunteer", "edit"), "topics", "python, mach")
    names = [c["value"] for c in (await bot.send(topics)).body["data"]["choices"]]
    assert "python, machine learning" in names  # only the last item of a list is completed


async def test_coach_suggestions_offer_edit_and_resend_which_replaces_the_draft(
    bot: Bot,
) -> None:
    await join_volunteers(bot)
    modal = await open_request(bot)
    brain = "I would love to pick your brain about data engineering and what you do"
    await bot.send(fill(USERS["sam"], "sam", modal, {**PAGE_1, "why": brain}))
    await bot.press("sam", "Send now")
    findings = bot.last_with("sam", "Edit and resend")
    assert {"Send anyway", "Discard", "Edit and resend"} <= set(findings.buttons)
    assert await count(bot.world, "requests", status="draft") == 1
    await bot.press("sam", "Edit and resend", why=WHY)
    assert await count(bot.world, "requests", status="draft") == 0  # replaced…
    assert await count(bot.world, "requests", status="open") == 1  # …by the edited request


async def test_a_person_option_asks_that_volunteer(bot: Bot) -> None:
    await join_volunteers(bot)
    options = {**PAGE_1, "questions": QUESTIONS.replace("\n", "|")}
    payload = slash(USERS["sam"], "sam", "request", **options)
    leaf = payload["data"]["options"][0]
    leaf["options"].append({"name": "person", "type": 6, "value": USERS["priya"]})
    payload["data"]["resolved"] = {"users": {USERS["priya"]: user(USERS["priya"], "priya")}}
    reply = await bot.send(payload)
    assert "the volunteer has been asked" in json.dumps(reply.body)
    assert [b for b in bot.dms_to("priya") if "Accept" in buttons_of(b)]


async def test_empty_or_oversized_values_are_refused_privately(bot: Bot) -> None:
    modal = await open_request(bot)
    too_long = {**PAGE_1, "why": "w" * 5000, "topic": ""}
    step = await bot.send(fill(USERS["sam"], "sam", modal, too_long))
    await bot.press("sam", "Send now")
    refusal = bot.last_with("sam", "Edit and resend")
    assert refusal.kind == "reply" and "under 1000 characters" in refusal.text
    assert "required" in refusal.text.lower()  # the empty topic
    assert step.body["data"]["flags"] & 64
    assert await count(bot.world, "requests") == 0
