"""What Slack sends, checked for shape before any listener reads it: the fields the handlers
use are there and of the right type. Nothing else in a payload is trusted either (the core
re-checks every action); this only keeps a malformed body from reaching code that assumes
a dict, a list or a string."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Malformed(ValueError):
    """A body that isn't what Slack sends."""


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class Ref(_Shape):
    """A user or a team."""

    id: str


class Action(_Shape):
    action_id: str
    value: str = ""
    action_ts: str = ""
    selected_user: str | None = None


class State(_Shape):
    values: dict[str, dict[str, dict[str, Any]]] = {}


class View(_Shape):
    id: str = ""
    type: str = ""
    private_metadata: str = ""
    blocks: list[dict[str, Any]] = []
    state: State = State()


class Interaction(_Shape):
    user: Ref
    team: Ref | None = None
    trigger_id: str = ""
    response_url: str = ""
    container: dict[str, Any] = {}
    view: View | None = None
    message: dict[str, Any] | None = None


class BlockActions(Interaction):
    actions: list[Action] = Field(min_length=1)


class ViewSubmission(Interaction):
    view: View


class BlockSuggestion(Interaction):
    block_id: str
    value: str


class SlashCommand(_Shape):
    team_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    command: str
    text: str = ""
    trigger_id: str = ""
    response_url: str = ""


class EventCallback(_Shape):
    team_id: str
    event_id: str
    event: dict[str, Any]


SHAPES: dict[str, type[_Shape]] = {
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "block_suggestion": BlockSuggestion,
    "event_callback": EventCallback,
}


def parse(raw: bytes, content_type: str) -> dict[str, Any]:
    """The body as bolt would read it (JSON, a form, or a form's JSON `payload`), checked."""
    try:
        text = raw.decode("utf-8")
        if content_type == "application/json" or text.startswith("{"):
            body = json.loads(text)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            body = json.loads(form["payload"]) if "payload" in form else form
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed(f"not JSON nor a form ({exc.__class__.__name__})") from None
    if not isinstance(body, dict):
        raise Malformed(f"a {type(body).__name__}, not an object")
    check(body)
    return body


def check(body: dict[str, Any]) -> None:
    """Raise `Malformed` when a payload the handlers read lacks a field or has a wrong type."""
    shape = SHAPES.get(str(body.get("type", ""))) or (SlashCommand if "command" in body else None)
    if shape is None:
        return  # url_verification, ssl_check, kinds nobody listens to: bolt answers them
    try:
        shape.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise Malformed(f"{body.get('type') or 'command'}: {where}: {first['msg']}") from None
