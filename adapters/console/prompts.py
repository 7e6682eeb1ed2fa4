"""Filling a form by prompts: one line per field, read from the terminal or the script.

An empty line keeps the field's default (or leaves an optional field out); a `multiple`
field takes one value per line until an empty line; `/cancel` drops the form.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from adapters.console.grammar import is_comment
from adapters.console.lines import CANCEL, LineSource
from adapters.console.render import field_prompt, form_heading
from bot.commands import ArgValue
from bot.errors import InfochatError
from bot.views import Form, FormField

MEMBER_ARGS = frozenset({"person", "colleague"})


class FormCancelled(InfochatError):
    """The member typed /cancel, or the input ended before the form was complete."""


def fill_form(
    form: Form, member: str, source: LineSource, write: Callable[[str], None]
) -> dict[str, ArgValue]:
    write(form_heading(form, member))
    values: dict[str, ArgValue] = {}
    for field in form.fields:
        value = _multiple(field, source, write) if field.multiple else _single(field, source)
        if value:
            values[field.name] = value
    return values


def _single(field: FormField, source: LineSource) -> str:
    value = _line(source, field_prompt(field))
    if not value:
        return field.default or ""
    return member_value(value) if field.kind == "member" else value


def _multiple(
    field: FormField, source: LineSource, write: Callable[[str], None]
) -> tuple[str, ...] | str:
    write(field_prompt(field).rstrip(": ") + ":")
    items: list[str] = []
    while value := _line(source, f"    {len(items) + 1}: "):
        items.append(value)
    if not items:
        return field.default or ""
    return tuple(items)


def _line(source: LineSource, prompt: str) -> str:
    """The next line that isn't a comment: comments are skipped in forms as everywhere."""
    line = source.read(prompt)
    while line is not None and is_comment(line):
        line = source.read(prompt)
    if line is None:
        raise FormCancelled("The input ended before the form was complete; nothing was sent.")
    if line.strip() == CANCEL:
        raise FormCancelled("Form cancelled; nothing was sent.")
    return line.strip()


def member_value(raw: str) -> str:
    """A member as the console names them: `@Dana` and `dana` are the same member."""
    return unicodedata.normalize("NFC", raw.strip().removeprefix("@")).lower()


def normalize_member_args(args: dict[str, ArgValue]) -> dict[str, ArgValue]:
    """Member fields typed inline (`person=@Priya`) name console members, case-insensitively."""
    return {
        key: (member_value(value) if key in MEMBER_ARGS and isinstance(value, str) else value)
        for key, value in args.items()
    }
