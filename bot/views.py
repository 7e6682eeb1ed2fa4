"""Neutral views: what the core shows, which adapters render as Block Kit, discord.ui or text.

Every piece of text in a view passes through `neutralize`, so nothing the bot posts can
trigger a mass mention, whatever a member typed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.text import neutralize

SafeText = Annotated[str, AfterValidator(neutralize)]

FieldKind = Literal["text", "long_text", "number", "date", "member", "choice", "timezone", "list"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class FormField(_View):
    name: str
    label: SafeText
    kind: FieldKind = "text"
    required: bool = True
    default: SafeText | None = None
    placeholder: SafeText | None = None
    choices: tuple[SafeText, ...] = ()
    max_length: int | None = None
    multiple: bool = False  # several values, e.g. the 2–3 questions of a request


class Form(_View):
    """A form an adapter opens (modal, prompts); its submit becomes `action` with the values."""

    title: SafeText
    action: str
    target: str = ""
    fields: tuple[FormField, ...]
    submit_label: SafeText = "Send"


class Button(_View):
    label: SafeText
    action: str
    target: str = ""
    style: Literal["primary", "danger", "default"] = "default"
    form: Form | None = None  # ask for more before acting (a reason, a date, a colleague)

    @property
    def payload(self) -> str:
        """What an adapter stores in a button (≤ 100 characters: Discord's custom_id)."""
        return f"{self.action}:{self.target}"


class Line(_View):
    label: SafeText
    value: SafeText


class Attachment(_View):
    """A file that goes with a message, e.g. a calendar invite (.ics) or a chart (.png)."""

    filename: str
    content_type: str
    data: str  # base64


class Message(_View):
    text: SafeText
    title: SafeText | None = None
    lines: tuple[Line, ...] = ()
    buttons: tuple[Button, ...] = ()
    # Members the message is about, as platform user ids, for adapters that can show a
    # proper mention of exactly these people (never a group).
    mentions: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


class Reply(_View):
    """The outcome of one command, shown privately to the actor."""

    ok: bool = True
    messages: tuple[Message, ...] = ()
    form: Form | None = None  # open this form (modal or prompts)
    # Replace the message whose button was clicked: with the outcome, or, when the click
    # lost to another (`stale`), with what that message says now, so the winner's outcome
    # stays visible whichever click an adapter shows last.
    update: Message | None = None
    stale: bool = False  # the clicked button was out of date (already answered, approved…)
    # The same idempotency key again (a platform retry): the first outcome, already shown.
    # Adapters show nothing for it: no new message, no update.
    replay: bool = False
    field_errors: dict[SafeText, SafeText] = Field(default_factory=dict)

    @classmethod
    def say(cls, text: str, **kwargs: object) -> Reply:
        return cls(messages=(Message.model_validate({"text": text, **kwargs}),))


def parse_payload(payload: str) -> tuple[str, str]:
    """Split a button payload back into (action, target). Never trusted beyond that."""
    action, _, target = payload.partition(":")
    return action, target


class Destination(_View):
    """Where an outbox message goes: a member's DMs, a community channel, a group, or the
    people who set the bot up (`admins`: Slack's workspace admins and owners, Discord's
    server owner; each platform falls back to `channel`, the moderators' channel)."""

    kind: Literal["member", "channel", "group", "admins"]
    user_ids: tuple[str, ...] = ()
    # A channel name from community settings, e.g. "moderators". For a member or a group:
    # where the community's introductions happen, e.g. for a platform that must fall back
    # to a channel when a member can't get direct messages.
    channel: str | None = None
