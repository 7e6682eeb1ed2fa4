"""The App Home tab: published on `app_home_opened`, its buttons work from the tab, and it is
published again after each click or form that came from it."""

from __future__ import annotations

import json
from typing import Any

from tests.adapters.slack.harness import Slack, elements, sign, view_of
from tests.adapters.slack.test_buttons import ask_priya
from tests.support import VOLUNTEERS


def button(view: dict[str, Any], label: str) -> dict[str, Any]:
    return next(b for b in elements(view["blocks"]) if b["text"]["text"].startswith(label))


def text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def test_a_volunteer_sees_profile_capacity_and_buttons(slack: Slack) -> None:
    await slack.setup("UPRIYA", f"volunteer join {VOLUNTEERS['priya']} capacity=3")
    view = await slack.open_home("UPRIYA")
    (published,) = slack.fake.of("views.publish")
    assert published.params["user_id"] == "UPRIYA" and view["type"] == "home"
    assert "This month" in text(view) and "0 of 3 chats" in text(view)
    labels = [b["text"]["text"] for b in elements(view["blocks"])]
    assert labels[:2] == ["Edit profile", "Pause"] and "Ask for a chat" in labels
    block_ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))  # Slack refuses a view with duplicates


async def test_a_seeker_sees_requests_and_may_volunteer(slack: Slack) -> None:
    view = await slack.open_home("USAM")
    labels = [b["text"]["text"] for b in elements(view["blocks"])]
    assert "Volunteer" in labels and "Ask for a chat" in labels
    await slack.post(slack.home_click_body("USAM", button(view, "Ask for a chat")))
    (opened,) = await slack.fake.wait_for("views.open")
    modal = view_of(opened)
    assert {"topic", "why", "questions"} <= {b["block_id"] for b in modal["blocks"]}
    await slack.post(slack.home_click_body("USAM", button(view, "Volunteer")))
    opened, joining = await slack.fake.wait_for("views.open", count=2)
    assert {"role", "topics", "timezone"} <= {b["block_id"] for b in view_of(joining)["blocks"]}


async def test_only_the_home_tab_is_published_and_a_retried_event_once(slack: Slack) -> None:
    event = {"type": "app_home_opened", "user": "USAM", "channel": "DUSAM", "tab": "messages"}
    assert (await slack.event(event, "Ev0"))[0] == 200
    await slack.open_home("USAM", event_id="Ev1")
    status, _ = await slack.event({**event, "tab": "home"}, "Ev1", retry=1)
    assert status == 200
    await slack.open_home("UDANA", event_id="Ev2")  # a later event (it started after the retry)
    assert [c.params["user_id"] for c in slack.fake.of("views.publish")] == ["USAM", "UDANA"]


async def test_pause_from_home_asks_for_a_date_then_resume(slack: Slack) -> None:
    await slack.setup("UPRIYA", f"volunteer join {VOLUNTEERS['priya']}")
    view = await slack.open_home("UPRIYA")
    await slack.post(slack.home_click_body("UPRIYA", button(view, "Pause")))
    (opened,) = await slack.fake.wait_for("views.open")
    modal = view_of(opened)
    assert modal["blocks"][0]["element"]["type"] == "datepicker"
    until = {"until": {"type": "datepicker", "selected_date": "2026-12-24"}}
    status, body = await slack.post(slack.submit_body("UPRIYA", modal, until))
    assert status == 200 and body == ""
    published = await slack.fake.wait_for("views.publish", count=2)
    paused = view_of(published[-1])
    assert "Resume" in [b["text"]["text"] for b in elements(paused["blocks"])]
    await slack.post(slack.home_click_body("UPRIYA", button(paused, "Resume")))
    published = await slack.fake.wait_for("views.publish", count=3)
    resumed = view_of(published[-1])
    assert "Pause" in [b["text"]["text"] for b in elements(resumed["blocks"])]
    replies = await slack.fake.wait_for("chat.postMessage", count=2)
    assert {c.params["channel"] for c in replies} == {"UPRIYA"}  # no response URL: a DM
    assert not slack.fake.of("chat.update")


async def test_edit_from_home_opens_the_filled_profile_with_selects(slack: Slack) -> None:
    await slack.setup("UPRIYA", f"volunteer join {VOLUNTEERS['priya']} minutes=25")
    view = await slack.open_home("UPRIYA")
    await slack.post(slack.home_click_body("UPRIYA", button(view, "Edit profile")))
    (opened,) = await slack.fake.wait_for("views.open")
    inputs = {b["block_id"]: b["element"] for b in view_of(opened)["blocks"]}
    assert inputs["timezone"]["type"] == "external_select"
    assert inputs["timezone"]["initial_option"]["value"] == "Europe/Berlin"
    assert inputs["minutes"]["type"] == "static_select"
    assert inputs["minutes"]["initial_option"]["value"] == "25"  # kept although not a preset
    assert inputs["topics"]["type"] == "multi_external_select"
    assert [o["value"] for o in inputs["topics"]["initial_options"]] == [
        "data engineering",
        "python",
    ]
    assert inputs["formats"]["type"] == "multi_static_select"
    edited = {"role": "Staff data engineer", "organisation": "Acme"}
    status, body = await slack.post(slack.submit_body("UPRIYA", view_of(opened), edited))
    assert status == 200 and body == ""
    published = await slack.fake.wait_for("views.publish", count=2)
    assert "Staff data engineer" in text(view_of(published[-1]))


async def test_answering_an_ask_from_home_introduces_and_refreshes_the_tab(slack: Slack) -> None:
    await ask_priya(slack)
    view = await slack.open_home("UPRIYA")
    assert "1 ask(s) waiting" in text(view)
    await slack.post(slack.home_click_body("UPRIYA", button(view, "Accept")))
    published = await slack.fake.wait_for("views.publish", count=2)
    assert "0 ask(s) waiting" in text(view_of(published[-1]))
    await slack.worker.drain()
    assert await slack.count("introductions") == 1


async def test_mass_mentions_never_fire_from_the_home_tab(slack: Slack) -> None:
    profile = VOLUNTEERS["priya"].replace(
        'role="Data engineer"', 'role="Lead <!channel> <!subteam^S0ALL> @everyone @here"'
    )
    await slack.setup("UPRIYA", f"volunteer join {profile}")
    view = await slack.open_home("UPRIYA")
    shown = text(view)
    assert "Lead" in shown
    for raw in ("<!channel>", "<!subteam^", "@everyone", "@here"):
        assert raw not in shown


async def test_the_events_url_answers_slacks_verification_challenge(slack: Slack) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c0ffee", "token": "legacy"})
    status, answer = await slack.post(body, sign(body, content_type="application/json"))
    assert status == 200 and "c0ffee" in answer
