"""Modals for the core's neutral forms, read back on submit, and the options of their
external selects. Driven by `FormField` alone: a new form needs no code here.

- choice → static select (multi select when `multiple`);
- timezone, and the topic fields the core can suggest for → external select, whose options
  come from `Infochat.suggest` (topics also offer what was typed: any topic may be asked for);
- any field with choices (format, minutes, chats per month) → static select;
- member → user picker; date → date picker; everything else → a text input.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.slack.render import Block, plain
from bot.services.suggest import TIMEZONE_FIELDS, TOPIC_FIELDS
from bot.text import clean, neutralize, shorten
from bot.views import Form, FormField

FORM_CALLBACK = "infochat_form"
VALUE_ACTION = "value"
MULTIPLE_HINT = " (one per line)"
SUGGESTED_FIELDS = TIMEZONE_FIELDS | TOPIC_FIELDS
MAX_OPTIONS = 100
Values = dict[str, str | tuple[str, ...]]


def modal(form: Form, origin: dict[str, str] | None = None) -> Block:
    """A modal for a neutral form; its submit carries the form's action and target, and
    `origin` (channel and ts of the message whose button opened it, or the home tab)."""
    meta = {"action": form.action, "target": form.target, **(origin or {})}
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "private_metadata": json.dumps(meta)[:3000],
        "title": plain(form.title, 24),
        "submit": plain(form.submit_label, 24),
        "close": plain("Cancel", 24),
        "blocks": [_input(f) for f in form.fields[:100]],
    }


def option(text: str) -> Block:
    return {"text": plain(text, 75), "value": shorten(neutralize(text), 150)}


def _defaults(f: FormField) -> list[str]:
    if not f.default:
        return []
    if f.multiple or f.kind == "list":
        return [d.strip() for d in f.default.replace("\n", ",").split(",") if d.strip()]
    return [f.default]


def _select(f: FormField, choices: tuple[str, ...] | None) -> Block:
    """A static select over `choices`, or an external one (choices=None); multi when the
    field holds several values. Defaults become the initial options."""
    many = f.multiple or f.kind == "list"
    kind = "static_select" if choices is not None else "external_select"
    element: Block = {"type": f"multi_{kind}" if many else kind}
    defaults = _defaults(f)
    if choices is not None:
        element["options"] = [option(c) for c in choices[:MAX_OPTIONS]]
        defaults = [d for d in defaults if d in choices]
    else:
        element["min_query_length"] = 1
    if defaults and many:
        element["initial_options"] = [option(d) for d in defaults]
    elif defaults:
        element["initial_option"] = option(defaults[0])
    return element


def _element(f: FormField) -> Block:
    if f.choices:
        return _select(f, f.choices)
    if f.kind == "timezone" or (f.name in TOPIC_FIELDS and f.kind in ("text", "list")):
        return _select(f, None)
    if f.kind == "member":
        return {"type": "users_select"}
    if f.kind == "date":
        return {"type": "datepicker", **({"initial_date": f.default} if f.default else {})}
    element: Block = {"type": "plain_text_input", "multiline": f.kind == "long_text" or f.multiple}
    if f.default:  # shown as typed, never as a mention (clean() drops the marks on submit)
        element["initial_value"] = neutralize(f.default)[:3000]
    if f.max_length:
        element["max_length"] = min(f.max_length * (5 if f.multiple else 1), 3000)
    return element


def _input(f: FormField) -> Block:
    element = _element(f)
    element["action_id"] = VALUE_ACTION
    if f.placeholder and element["type"] != "datepicker":
        element["placeholder"] = plain(f.placeholder)
    typed_lines = f.multiple and element["type"] == "plain_text_input"
    block: Block = {
        "type": "input",
        "block_id": f.name,
        "label": plain(f.label + (MULTIPLE_HINT if typed_lines else ""), 2000),
        "optional": not f.required,
        "element": element,
    }
    if element["type"] == "users_select":  # Slack tells the app who was picked, at once
        block["dispatch_action"] = True
    return block


def options(field: str, typed: str, suggestions: tuple[str, ...]) -> list[Block]:
    """External select options: the core's suggestions; for a topic, what was typed too."""
    chosen = list(suggestions)
    mine = clean(typed)[:100]
    if field in TOPIC_FIELDS and mine and mine.casefold() not in {s.casefold() for s in chosen}:
        chosen.insert(0, mine)
    return [option(s) for s in chosen[:MAX_OPTIONS]]


def metadata(view: dict[str, Any]) -> dict[str, str]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}


def submitted(view: dict[str, Any]) -> tuple[str, str, Values]:
    """(action, target, values) from a `view_submission`'s view; nothing here is trusted."""
    meta = metadata(view)
    action, target = meta.get("action", ""), meta.get("target", "")
    typed_lines = {
        b.get("block_id")
        for b in view.get("blocks") or ()
        if isinstance(b, dict)
        and isinstance(b.get("label"), dict)
        and str(b["label"].get("text", "")).endswith(MULTIPLE_HINT)
    }
    values: Values = {}
    state = view.get("state", {}).get("values", {})
    for block_id, inputs in state.items():
        raw = inputs.get(VALUE_ACTION, {}) if isinstance(inputs, dict) else {}
        value = _value(raw) if isinstance(raw, dict) else None
        if value is None:
            continue
        if block_id in typed_lines and isinstance(value, str):
            values[block_id] = tuple(v.strip() for v in value.splitlines() if v.strip())
        else:
            values[block_id] = value
    return action, target, values


def picked_members(view: dict[str, Any]) -> dict[str, str]:
    """Field name → user id of each member picked in a users select of a submitted view."""
    picked: dict[str, str] = {}
    for block_id, inputs in (view.get("state", {}).get("values", {}) or {}).items():
        raw = inputs.get(VALUE_ACTION) if isinstance(inputs, dict) else None
        if isinstance(raw, dict) and raw.get("type") == "users_select":
            user = raw.get("selected_user")
            if isinstance(user, str) and user:
                picked[str(block_id)] = user
    return picked


def _value(raw: dict[str, Any]) -> str | tuple[str, ...] | None:
    kind = str(raw.get("type", ""))
    if kind in ("static_select", "external_select"):
        picked = raw.get("selected_option") or {}
        return str(picked.get("value", "")) or None if isinstance(picked, dict) else None
    if kind in ("multi_static_select", "multi_external_select"):
        picked_all = raw.get("selected_options") or []
        chosen = tuple(
            str(o.get("value", "")) for o in picked_all if isinstance(o, dict) and o.get("value")
        )
        return chosen or None
    if kind in ("users_select", "datepicker"):
        picked = raw.get("selected_user" if kind == "users_select" else "selected_date")
        return picked if isinstance(picked, str) and picked else None
    value = raw.get("value")
    return value if isinstance(value, str) else None
