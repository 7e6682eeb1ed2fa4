"""Modals: selects for time zone (external, options from the core), topic, format and minutes;
values read back on submit; options answered as the member types."""

from __future__ import annotations

import json
from typing import Any

from bot.storage.schema import requests, volunteers
from tests.adapters.slack.harness import Slack, view_of
from tests.adapters.slack.test_commands import join_volunteers


async def options(slack: Slack, user: str, field: str, typed: str) -> list[dict[str, Any]]:
    body = slack.payload_body(
        {
            "type": "block_suggestion",
            "user": {"id": user, "username": user.lower()},
            "action_id": "value",
            "block_id": field,
            "value": typed,
            "view": {"id": "V0VIEW", "type": "modal", "callback_id": "infochat_form"},
        }
    )
    status, answer = await slack.post(body)
    assert status == 200
    return list(json.loads(answer)["options"])


async def request_modal(slack: Slack) -> dict[str, Any]:
    await slack.command("USAM", "request")
    (opened,) = await slack.fake.wait_for("views.open")
    return view_of(opened)


async def test_the_request_modal_has_selects(slack: Slack) -> None:
    inputs = {b["block_id"]: b["element"] for b in (await request_modal(slack))["blocks"]}
    assert inputs["timezone"]["type"] == "external_select"
    assert inputs["topic"]["type"] == "external_select"
    assert inputs["format"]["type"] == "static_select"
    assert inputs["format"]["initial_option"]["value"] == "video"
    minutes = inputs["minutes"]
    assert minutes["type"] == "static_select"
    # Offered up to the community's maximum (30 by default): nothing the core would refuse.
    assert [o["value"] for o in minutes["options"]] == ["10", "15", "20", "30"]
    assert minutes["initial_option"]["value"] == "15"


async def test_time_zone_options_come_from_the_core(slack: Slack) -> None:
    found = await options(slack, "USAM", "timezone", "berl")
    assert [o["value"] for o in found] == ["Europe/Berlin"]
    assert await options(slack, "USAM", "timezone", "no such zone") == []
    assert not slack.fake.of("users.info")  # no moderator lookup while typing


async def test_topic_options_offer_what_was_typed_and_what_volunteers_offer(slack: Slack) -> None:
    await join_volunteers(slack)
    values = [o["value"] for o in await options(slack, "USAM", "topic", "data")]
    assert values[0] == "data"
    assert "data engineering" in values and "data science" in values
    typed = await options(slack, "USAM", "topic", "<!channel> @everyone")
    assert "<!channel>" not in json.dumps(typed) and "@everyone" not in json.dumps(typed)
    assert await options(slack, "USAM", "nothing", "x") == []


def picked(kind: str, value: str) -> dict[str, Any]:
    return {"type": kind, "selected_option": {"value": value}}


def request_values(minutes: str, timezone: str) -> dict[str, Any]:
    return {
        "topic": picked("external_select", "data engineering"),
        "why": "I am a backend developer moving toward data pipelines and want to hear how the work differs day to day",
        "questions": "What does a typical week look like in your role?\nWhich skills mattered most when you moved into data engineering?",
        "minutes": picked("static_select", minutes),
        "timezone": picked("external_select", timezone),
    }


async def test_select_values_are_read_back_on_submit(slack: Slack) -> None:
    await join_volunteers(slack)
    view = await request_modal(slack)
    values = request_values("20", "America/Toronto") | {"format": picked("static_select", "phone")}
    status, body = await slack.post(slack.submit_body("USAM", view, values))
    assert status == 200 and body == ""
    columns = (requests.c.topic, requests.c.minutes, requests.c.format, requests.c.timezone)
    row = await slack.one(*columns)
    assert tuple(row) == ("data engineering", 20, "phone", "America/Toronto")
    await slack.fake.wait_for("chat.postMessage")  # the suggestions, as a DM


async def test_a_bad_time_zone_and_too_many_minutes_come_back_inline(slack: Slack) -> None:
    view = await request_modal(slack)
    values = request_values("60", "Mars/Olympus")
    status, body = await slack.post(slack.submit_body("USAM", view, values))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"timezone"}
    values["timezone"] = picked("external_select", "UTC")
    status, body = await slack.post(slack.submit_body("USAM", view, values))
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "30" in answer["errors"]["minutes"]
    assert await slack.count("requests") == 0


async def test_the_volunteer_modal_reads_multi_selects(slack: Slack) -> None:
    await slack.command("UPRIYA", "volunteer join")
    (opened,) = await slack.fake.wait_for("views.open")
    view = view_of(opened)
    values = {
        "role": "Data engineer",
        "organisation": "Acme",
        "topics": {
            "type": "multi_external_select",
            "selected_options": [{"value": "data engineering"}, {"value": "python"}],
        },
        "timezone": {"type": "external_select", "selected_option": {"value": "Europe/Berlin"}},
        "formats": {
            "type": "multi_static_select",
            "selected_options": [{"value": "video"}, {"value": "phone"}],
        },
        "minutes": {"type": "static_select", "selected_option": {"value": "30"}},
        "monthly_capacity": {"type": "static_select", "selected_option": {"value": "4"}},
    }
    status, body = await slack.post(slack.submit_body("UPRIYA", view, values))
    assert status == 200 and body == ""
    v = volunteers.c
    row = await slack.one(v.topics, v.formats, v.minutes, v.monthly_capacity, v.timezone)
    assert sorted(row.topics) == ["data engineering", "python"]
    assert sorted(row.formats) == ["phone", "video"]
    assert (row.minutes, row.monthly_capacity, row.timezone) == (30, 4, "Europe/Berlin")


async def test_mass_mentions_never_fire_from_a_modal(slack: Slack) -> None:
    await slack.setup(
        "UPRIYA",
        'volunteer join role="<!channel> lead" org="@everyone Inc" topics="<!subteam^S1|all>" '
        "timezone=Europe/Berlin",
    )
    await slack.command("UPRIYA", "volunteer edit")
    (opened,) = await slack.fake.wait_for("views.open")
    shown = json.dumps(view_of(opened), ensure_ascii=False)
    assert "lead" in shown
    for raw in ("<!channel>", "<!subteam^", "@everyone"):
        assert raw not in shown
