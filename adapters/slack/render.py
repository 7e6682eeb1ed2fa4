"""Block Kit rendering of the core's neutral views (messages, buttons, forms), and reading
a submitted modal back into form values. Generic: new core views need no new code here."""

from __future__ import annotations

import json
from typing import Any

from bot.text import shorten
from bot.views import Button, Form, FormField, Message, parse_payload

Block = dict[str, Any]
FORM_CALLBACK = "infochat_form"
ACTION_PREFIX = "infochat"
VALUE_ACTION = "value"
SECTION_LIMIT = 3000
FORM_VALUE = "form:"


def escape(text: str) -> str:
    """Slack's control characters: user text can never form a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = 150) -> Block:
    return {"type": "plain_text", "text": shorten(text, limit) or " ", "emoji": True}


def fallback_text(message: Message) -> str:
    """The notification text (and what screen readers get)."""
    head = f"{message.title}: " if message.title else ""
    return escape(shorten(head + message.text, SECTION_LIMIT))


def blocks(message: Message, *, with_buttons: bool = True) -> list[Block]:
    out: list[Block] = []
    if message.title:
        out.append({"type": "header", "text": plain(message.title)})
    if message.text:
        out.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": shorten(escape(message.text), SECTION_LIMIT)},
            }
        )
    for start in range(0, len(message.lines), 10):  # a section holds at most 10 fields
        fields = [
            {"type": "mrkdwn", "text": shorten(f"*{escape(x.label)}*\n{escape(x.value)}", 2000)}
            for x in message.lines[start : start + 10]
        ]
        out.append({"type": "section", "fields": fields})
    if with_buttons and message.buttons:
        elements = [button(b, i) for i, b in enumerate(message.buttons[:25])]
        out.append({"type": "actions", "block_id": "infochat_actions", "elements": elements})
    return out


def button(b: Button, index: int) -> Block:
    """`value` is the payload (action:target); a button that asks for more first carries
    its form instead (`form:{json}`), so a click opens the modal even after a restart."""
    value = b.payload
    if b.form is not None:
        packed = FORM_VALUE + b.form.model_dump_json(exclude_defaults=True)
        value = packed if len(packed) <= 2000 else value
    element: Block = {
        "type": "button",
        "text": plain(b.label, 75),
        "action_id": f"{ACTION_PREFIX}:{index}:{b.action}"[:255],
        "value": value[:2000],
    }
    if b.style != "default":
        element["style"] = b.style
    return element


def modal(form: Form, origin: dict[str, str] | None = None) -> Block:
    """A modal for a neutral form; its submit carries the form's action and target, and
    `origin` (channel, ts) of the message whose button opened it, to update that message."""
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


def _input(f: FormField) -> Block:
    element: Block
    if f.kind == "choice" and f.choices:
        options = [{"text": plain(c, 75), "value": c[:150]} for c in f.choices[:100]]
        element = {"type": "static_select", "options": options}
        if f.default in f.choices:
            element["initial_option"] = options[f.choices.index(f.default)]
    elif f.kind == "member":
        element = {"type": "users_select"}
    elif f.kind == "date":
        element = {"type": "datepicker"}
        if f.default:
            element["initial_date"] = f.default
    else:
        multiline = f.kind == "long_text" or f.multiple
        element = {"type": "plain_text_input", "multiline": multiline}
        if f.default:
            element["initial_value"] = f.default[:3000]
        if f.max_length:
            element["max_length"] = min(f.max_length * (5 if f.multiple else 1), 3000)
    element["action_id"] = VALUE_ACTION
    if f.placeholder and element["type"] != "datepicker":
        element["placeholder"] = plain(f.placeholder)
    label = f"{f.label} (one per line)" if f.multiple else f.label
    return {
        "type": "input",
        "block_id": f.name,
        "label": plain(label, 2000),
        "optional": not f.required,
        "element": element,
    }


def clicked(value: str) -> tuple[str, str, Form | None]:
    """(action, target, form to open first) from a clicked button's value. Untrusted."""
    if value.startswith(FORM_VALUE):
        try:
            form = Form.model_validate_json(value[len(FORM_VALUE) :])
        except ValueError:
            return "", "", None
        return form.action, form.target, form
    action, target = parse_payload(value)
    return action, target, None


Values = dict[str, str | tuple[str, ...]]


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
    multiple = {
        b.get("block_id")
        for b in view.get("blocks", [])
        if isinstance(b, dict) and "(one per line)" in str(b.get("label", {}).get("text", ""))
    }
    values: Values = {}
    state = view.get("state", {}).get("values", {})
    for block_id, inputs in state.items():
        raw = inputs.get(VALUE_ACTION, {}) if isinstance(inputs, dict) else {}
        value = _value(raw)
        if value is None:
            continue
        if block_id in multiple:
            values[block_id] = tuple(v.strip() for v in value.splitlines() if v.strip())
        else:
            values[block_id] = value
    return action, target, values


def _value(raw: dict[str, Any]) -> str | None:
    if raw.get("type") == "static_select":
        option = raw.get("selected_option") or {}
        return str(option.get("value", "")) or None
    if raw.get("type") == "users_select":
        return raw.get("selected_user") or None
    if raw.get("type") == "datepicker":
        return raw.get("selected_date") or None
    value = raw.get("value")
    return None if value is None else str(value)
