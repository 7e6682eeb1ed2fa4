"""Form drafts between modal pages: what a member typed so far, kept in this process's memory.

A Discord modal holds at most five inputs, so a longer form is filled in pages; the values
wait here, per (guild, member, form), until the member sends them or the draft expires. After
a restart the drafts are gone and the member is asked to start again. Nothing here decides
anything: the values go to the core, which validates them like any other input.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.commands import Args, ArgValue
from bot.views import Form, FormField

PAGE_SIZE = 5  # Discord's limit of inputs per modal
TTL = timedelta(minutes=30)
MAX_DRAFTS = 10_000
SENDING = "That form is on its way; one moment."
SENT = "That form was already sent."
LOST = (
    "That form is no longer open: drafts are kept for 30 minutes and not across a restart "
    "of the bot. Please start again (run the command, or press the button that opened it)."
)


@dataclass(frozen=True)
class DraftKey:
    guild_id: str
    user_id: str
    action: str
    target: str


def paginate(form: Form) -> tuple[tuple[FormField, ...], ...]:
    """The form's fields in pages of five: the required ones first, each group in order."""
    ordered = sorted(form.fields, key=lambda f: not f.required)
    return tuple(tuple(ordered[i : i + PAGE_SIZE]) for i in range(0, len(ordered), PAGE_SIZE)) or (
        (),
    )


@dataclass
class Draft:
    token: str
    key: DraftKey
    form: Form
    expires: datetime
    from_button: bool = False
    values: dict[str, ArgValue] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    state: str = "open"  # "sending" while the core has it, "sent" after: one send only
    resend: bool = False  # reopened to edit and resend: its page's submit sends it
    replaces: str = ""  # the draft the core kept; an edited resend replaces it
    # The (channel, message) whose button opened the form, updated once the form is sent.
    origin: tuple[int, int] | None = None

    @property
    def pages(self) -> tuple[tuple[FormField, ...], ...]:
        return paginate(self.form)

    def value(self, name: str) -> ArgValue | None:
        """What the member typed, else the form's default."""
        if name in self.values:
            return self.values[name]
        for f in self.form.fields:
            if f.name == name:
                return f.default
        return None

    def page_of(self, name: str) -> int:
        for number, page in enumerate(self.pages):
            if any(f.name == name for f in page):
                return number
        return 0

    def first_error_page(self) -> int:
        order = [f.name for page in self.pages for f in page]
        in_form = [n for n in order if n in self.errors]
        return self.page_of(in_form[0]) if in_form else 0

    def args(self) -> Args:
        """The values to send: what was typed, the defaults for the rest; a field left empty
        is sent empty only when it had a value before (so an edit can clear it)."""
        out: dict[str, ArgValue] = {}
        for f in self.form.fields:
            value = self.value(f.name)
            had_default = bool(f.default)
            if value is None or (not value and not had_default):
                continue
            out[f.name] = value
            name = self.values.get(f"{f.name}_name")  # a picked member's name (modals.py)
            if f.kind == "member" and isinstance(name, str) and value:
                out[f"{f.name}_name"] = name
        return out


class Drafts:
    """Live drafts by token (in custom ids) and by key (one per member and form)."""

    def __init__(self, clock: Clock, ttl: timedelta = TTL, size: int = MAX_DRAFTS) -> None:
        self.clock = clock
        self.ttl = ttl
        self.size = size
        self._by_token: OrderedDict[str, Draft] = OrderedDict()
        self._by_key: dict[DraftKey, str] = {}

    def open(self, key: DraftKey, form: Form, *, from_button: bool = False) -> Draft:
        """The member's live draft of this form (values kept), or a new one."""
        token = self._by_key.get(key)
        draft = self.get(token) if token else None
        if draft is None or draft.state == "sent":
            draft = Draft(secrets.token_hex(6), key, form, self._expiry(), from_button)
            self._by_token[draft.token] = draft
            self._by_key[key] = draft.token
            while len(self._by_token) > self.size:
                _, oldest = self._by_token.popitem(last=False)
                self._by_key.pop(oldest.key, None)
        else:
            draft.form, draft.from_button, draft.expires = form, from_button, self._expiry()
            self._by_token.move_to_end(draft.token)
        return draft

    def get(self, token: str) -> Draft | None:
        draft = self._by_token.get(token)
        if draft is not None and draft.expires <= self.clock.now():
            self.drop(draft)
            return None
        return draft

    def sent(self, draft: Draft) -> None:
        """Kept (until it expires) only to answer a repeated click: a new one starts empty."""
        draft.state = "sent"
        if self._by_key.get(draft.key) == draft.token:
            del self._by_key[draft.key]

    def touch(self, draft: Draft) -> None:
        draft.expires = self._expiry()

    def drop(self, draft: Draft) -> None:
        self._by_token.pop(draft.token, None)
        if self._by_key.get(draft.key) == draft.token:
            del self._by_key[draft.key]

    def __len__(self) -> int:
        return len(self._by_token)

    def _expiry(self) -> datetime:
        return self.clock.now() + self.ttl
