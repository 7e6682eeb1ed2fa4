"""A page of a neutral `Form` as a Discord modal, and the values of a submitted modal.

Text fields become text inputs; a field with choices becomes a select inside a label (one
choice, or several for a `multiple` field); a member field is a user select. Page modals are never registered with discord.py:
their submits are read from the raw interaction (see `forms.py`), so a submit after a restart
still gets an answer.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord.drafts import Draft
from bot.commands import ArgValue
from bot.views import FormField

PAGE_ID = re.compile(r"infochat-page:(?P<token>[0-9a-f]+):(?P<page>\d)")
TITLE_MAX = 45
LABEL_MAX = 45
OPTIONS_MAX = 25
TEXT_MAX = 4000


def page_id(draft: Draft, page: int) -> str:
    return f"infochat-page:{draft.token}:{page}"


def page_modal(draft: Draft, page: int) -> discord.ui.Modal:
    """Page `page` of the draft's form, prefilled with what the member typed so far."""
    total = len(draft.pages)
    suffix = f" ({page + 1}/{total})" if total > 1 else ""
    title = (draft.form.title or "infochat")[: TITLE_MAX - len(suffix)] + suffix
    modal = discord.ui.Modal(title=title, custom_id=page_id(draft, page), timeout=None)
    for field in draft.pages[page]:
        modal.add_item(_input(field, draft.value(field.name)))
    modal.stop()  # not kept by discord.py: `forms.on_page_submit` reads the submit
    return modal


def _as_text(value: ArgValue | None) -> str:
    if value is None:
        return ""
    return "\n".join(value) if isinstance(value, tuple) else value


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _input(field: FormField, value: ArgValue | None) -> discord.ui.Label[Any]:
    """A field as a labelled input: a select for choices, else a text input. A label too
    long for Discord's 45 characters is shortened, and given in full as the description."""
    component: discord.ui.Item[Any]
    if field.kind == "member":  # a member picker: typing a mention doesn't work in a modal
        chosen_id = _as_text(value).strip().removeprefix("<@").removesuffix(">").lstrip("!")
        component = discord.ui.UserSelect(
            custom_id=field.name,
            min_values=1 if field.required else 0,
            max_values=1,
            required=field.required,
            default_values=[discord.Object(int(chosen_id))] if chosen_id.isdigit() else [],
        )
    elif field.choices and len(field.choices) <= OPTIONS_MAX:
        chosen = (
            set(value)
            if isinstance(value, tuple)
            else {v.strip() for v in _as_text(value).split(",")}
        )
        component = discord.ui.Select(
            custom_id=field.name,
            options=[
                discord.SelectOption(label=c[:100], value=c[:100], default=c in chosen)
                for c in field.choices
            ],
            min_values=1 if field.required else 0,
            max_values=len(field.choices) if field.multiple else 1,
            required=field.required,
        )
    else:
        long = field.kind == "long_text" or field.multiple
        limit = min(field.max_length or TEXT_MAX, TEXT_MAX)
        component = discord.ui.TextInput(
            custom_id=field.name,
            style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
            required=field.required,
            default=_as_text(value)[:limit] or None,  # Discord refuses a longer prefill
            placeholder=(field.placeholder or None) and field.placeholder[:100],
            max_length=limit,
        )
    described = field.label if len(field.label) > LABEL_MAX else field.placeholder
    return discord.ui.Label(
        text=_short(field.label, LABEL_MAX),
        component=component,
        description=(described or None) and _short(described, 100),
    )


def submitted(data: Any, fields: tuple[FormField, ...]) -> dict[str, ArgValue]:
    """The values of a modal submit (raw interaction data), for this page's fields only.

    A `multiple` text field gives one value per line; a select gives its chosen values.
    Nothing is trusted: the core validates every value."""
    raw: dict[str, Any] = {}
    _collect(data.get("components") or [] if isinstance(data, dict) else [], raw)
    out: dict[str, ArgValue] = {}
    for field in fields:
        if field.name not in raw:
            continue
        value = raw[field.name]
        if isinstance(value, list):
            items = tuple(str(v) for v in value)
            out[field.name] = items if field.multiple else (items[0] if items else "")
        elif field.multiple:
            out[field.name] = tuple(v.strip() for v in str(value).splitlines() if v.strip())
        else:
            out[field.name] = str(value)
        picked = out.get(field.name)
        if field.kind == "member" and isinstance(picked, str):
            # The core names them so until they first act ("" when unknown: never a stale
            # name from an earlier pick).
            out[f"{field.name}_name"] = _picked_name(data, picked)
    return out


def _picked_name(data: Any, user_id: str) -> str:
    """The server nickname or display name of a member picked in a user select, from the
    submit's resolved data."""
    resolved = data.get("resolved") if isinstance(data, dict) else None
    if not isinstance(resolved, dict):
        return ""
    member = (resolved.get("members") or {}).get(user_id) or {}
    user = (resolved.get("users") or {}).get(user_id) or {}
    for name in (member.get("nick"), user.get("global_name"), user.get("username")):
        if isinstance(name, str) and name.strip():
            return name.strip()[:100]
    return ""


def _collect(components: list[Any], into: dict[str, Any]) -> None:
    for component in components:
        if not isinstance(component, dict):
            continue
        if component.get("type") == 1:  # an action row
            _collect(component.get("components") or [], into)
        elif component.get("type") == 18:  # a label around one component
            _collect([component.get("component")], into)
        elif isinstance(component.get("custom_id"), str):
            value = component.get("values", component.get("value", ""))
            into[component["custom_id"]] = value if isinstance(value, list) else str(value or "")
