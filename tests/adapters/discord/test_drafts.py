"""Drafts, modal pages and embeds without Discord: paging, what is sent, expiry, reading a
submit, and Discord's size limits."""

from __future__ import annotations

from datetime import timedelta

from adapters.discord.drafts import Draft, DraftKey, Drafts, paginate
from adapters.discord.modals import page_modal, submitted
from adapters.discord.render import embed
from bot.clock import FakeClock
from bot.domain.community import CommunitySettings
from bot.services.form_views import request_form
from bot.views import Form, FormField, Line, Message

KEY = DraftKey("1", "2", "request.create", "")
FORM = request_form(CommunitySettings())


def test_required_fields_come_first_in_pages_of_five() -> None:
    pages = paginate(FORM)
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [f.name for f in pages[0][:3]] == ["topic", "why", "questions"]
    assert all(not f.required for page in pages[1:] for f in page)
    assert sum(len(p) for p in pages) == len(FORM.fields)


def test_what_is_sent_typed_values_defaults_and_cleared_values() -> None:
    form = Form(
        title="t",
        action="volunteer.edit",
        fields=(
            FormField(name="role", label="Role", default="Engineer"),
            FormField(name="languages", label="Languages", required=False),
            FormField(name="windows", label="Windows", required=False, default="Mon 18-20"),
        ),
    )
    draft = Draft("t0", KEY, form, FakeClock().now())
    draft.values.update(languages="", windows="")
    assert dict(draft.args()) == {"role": "Engineer", "windows": ""}  # cleared, so sent empty


def test_drafts_are_kept_per_member_and_form_and_expire() -> None:
    clock = FakeClock()
    drafts = Drafts(clock, ttl=timedelta(minutes=30), size=2)
    first = drafts.open(KEY, FORM)
    first.values["topic"] = "design"
    assert drafts.open(KEY, FORM) is first  # opened again: the same draft, values kept
    other = drafts.open(DraftKey("1", "3", "request.create", ""), FORM)
    assert other is not first
    clock.advance(timedelta(minutes=31))
    assert drafts.get(first.token) is None
    drafts.sent(other)
    assert drafts.open(other.key, FORM) is not other  # a sent draft is never reused


def test_the_oldest_draft_makes_room() -> None:
    drafts = Drafts(FakeClock(), size=2)
    keys = [DraftKey("1", str(i), "request.create", "") for i in range(3)]
    made = [drafts.open(k, FORM) for k in keys]
    assert len(drafts) == 2 and drafts.get(made[0].token) is None


def test_a_submit_is_read_for_the_pages_fields_only() -> None:
    draft = Drafts(FakeClock()).open(KEY, FORM)
    page = paginate(FORM)[0]
    data = {
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "topic", "value": "data"}]},
            {"type": 18, "component": {"type": 4, "custom_id": "questions", "value": "a?\n\nb?"}},
            {"type": 18, "component": {"type": 3, "custom_id": "format", "values": ["phone"]}},
            {"type": 18, "component": {"type": 4, "custom_id": "person", "value": "<@1>"}},
            "not a component",
        ]
    }
    values = submitted(data, page)
    assert values == {"topic": "data", "questions": ("a?", "b?"), "format": "phone"}
    modal = page_modal(draft, 0).to_dict()
    assert modal["custom_id"] == f"infochat-page:{draft.token}:0"
    assert len(modal["components"]) == 5


def test_prefills_fit_discords_limits() -> None:
    long = "x" * 200
    form = Form(
        title="A title far longer than the forty-five characters a modal shows",
        action="request.create",
        fields=(
            FormField(name="topic", label="l" * 80, max_length=100, default=long),
            FormField(name="format", label="Format", kind="choice", choices=("a", "b")),
        ),
    )
    modal = page_modal(Drafts(FakeClock()).open(KEY, form), 0).to_dict()
    assert len(modal["title"]) <= 45
    text, select = modal["components"]
    assert len(text["label"]) <= 45 and text["description"] == "l" * 80
    assert len(text["component"]["value"]) == 100 == text["component"]["max_length"]
    assert select["component"]["type"] == 3 and select["component"]["min_values"] == 1


def test_a_long_message_fits_in_one_embed() -> None:
    lines = tuple(Line(label=f"Line {i}", value="v" * 1024) for i in range(40))
    shown = embed(Message(text="t" * 5000, title="T", lines=lines))
    assert len(shown) <= 6000 and len(shown.fields) <= 25
    assert shown.fields[-1].name == "…and more"
    few = embed(Message(text="short", lines=lines[:3]))
    assert [f.name for f in few.fields] == ["Line 0", "Line 1", "Line 2"]
