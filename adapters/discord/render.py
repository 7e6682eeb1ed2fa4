"""The core's neutral views as Discord embeds, files, buttons and modals.

Rendering is generic: any `Message` the core produces (asks, digests, follow-ups) shows up
without new adapter code. Text is already neutralised by the core; on top of that every
send carries `AllowedMentions.none()` (plus, for introductions, exactly the members named).
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import re
from collections import OrderedDict
from typing import Any

import discord

from bot.views import Button, Form, FormField, Message, Reply

log = logging.getLogger(__name__)

CUSTOM_ID_MAX = 100
EMBED_FIELDS = 25
EMBED_TOTAL = 6000
MORE = "…and more"
# `<guild id>:<action>:<target>`: the guild travels with the button, because a click in a
# DM carries no guild. Nothing in it is trusted: the core re-checks every action.
CUSTOM_ID = re.compile(r"(?P<guild>\d+):(?P<action>[a-z][a-z0-9_.]*):(?P<target>.*)")
_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    "default": discord.ButtonStyle.secondary,
}


def custom_id(guild_id: str, button: Button) -> str:
    return f"{guild_id}:{button.payload}"


class FormMemory:
    """Forms of buttons this process rendered, so a click can open the right modal.

    Bounded; after a restart a form button is dispatched without values (see README)."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._forms: OrderedDict[str, Form] = OrderedDict()

    def remember(self, key: str, form: Form) -> None:
        self._forms[key] = form
        self._forms.move_to_end(key)
        while len(self._forms) > self.size:
            self._forms.popitem(last=False)

    def get(self, key: str) -> Form | None:
        return self._forms.get(key)


FORMS = FormMemory()


# The linking commands' options as the core writes them (`code=…`, a bare place number) and
# as Discord's command tree has them (`code:…`, `n:…`).
_LINK_CODE = re.compile(r"(/infochat(?:-mod)? (?:link|link-place)) code=")
_UNLINK_PLACE = re.compile(r"(/infochat-mod unlink-place) (\d+)")


def commands_here(text: str) -> str:
    """The core names moderator commands `/infochat mod …`; here they are `/infochat-mod …`
    (a command of its own, so Discord can hide it from members), and the linking commands'
    options are written as Discord's options."""
    text = text.replace("/infochat mod ", "/infochat-mod ")
    text = _LINK_CODE.sub(r"\1 code:", text)
    return _UNLINK_PLACE.sub(r"\1 n:\2", text)


def embed(message: Message) -> discord.Embed:
    """A message as an embed, within Discord's limits (25 fields, 6,000 characters in all):
    lines that don't fit are left out, and the last field says so."""
    result = discord.Embed(title=(message.title or None) and message.title[:256])
    result.description = commands_here(message.text)[:4096]
    for shown, line in enumerate(message.lines):
        name = commands_here(line.label)[:256] or "\u200b"
        value = commands_here(line.value)[:1024] or "—"
        last_field = shown == EMBED_FIELDS - 1 and len(message.lines) > EMBED_FIELDS
        too_long = len(result) + len(name) + len(value) > EMBED_TOTAL - len(MORE) - 20
        if last_field or too_long:
            result.add_field(name=MORE, value=f"{len(message.lines) - shown} more", inline=False)
            break
        result.add_field(name=name, value=value, inline=False)
    return result


def files(message: Message) -> list[discord.File]:
    out: list[discord.File] = []
    for attachment in message.attachments:
        try:
            data = base64.b64decode(attachment.data, validate=True)
        except binascii.Error:
            log.warning("discord: attachment %s is not valid base64; skipped", attachment.filename)
            continue
        out.append(discord.File(io.BytesIO(data), filename=attachment.filename or "file"))
    return out


def view(guild_id: str, message: Message) -> discord.ui.View | None:
    """Persistent buttons (no timeout); their clicks are routed by `PayloadButton`."""
    if not message.buttons:
        return None
    from adapters.discord.interactions import PayloadButton  # the button's behaviour

    result = discord.ui.View(timeout=None)
    for button in message.buttons[:25]:
        cid = custom_id(guild_id, button)
        if len(cid) > CUSTOM_ID_MAX or not CUSTOM_ID.fullmatch(cid):
            log.error("discord: button %r has an unusable custom_id; not shown", button.payload)
            continue
        if button.form is not None:
            FORMS.remember(cid, button.form)
        item: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label=button.label[:80], style=_STYLES[button.style], custom_id=cid
        )
        result.add_item(PayloadButton(item, guild_id, button.action, button.target))
    return result


def mentions(message: Message, *, introduction: bool) -> discord.AllowedMentions:
    """Nobody is pinged, except the members an introduction names."""
    if not introduction or not message.mentions:
        return discord.AllowedMentions.none()
    users = [discord.Object(int(u)) for u in message.mentions if u.isdigit()]
    return discord.AllowedMentions(everyone=False, roles=False, replied_user=False, users=users)


def send_kwargs(guild_id: str, message: Message, *, introduction: bool = False) -> dict[str, Any]:
    """Keyword arguments for `Messageable.send` / `followup.send` for one message."""
    content = None
    if introduction and message.mentions:
        content = " ".join(f"<@{u}>" for u in message.mentions if u.isdigit()) or None
    kwargs: dict[str, Any] = {
        "content": content,
        "embed": embed(message),
        "files": files(message),
        "allowed_mentions": mentions(message, introduction=introduction),
    }
    rendered = view(guild_id, message)
    if rendered is not None:
        kwargs["view"] = rendered
    return kwargs


def form_for_errors(action: str, target: str, reply: Reply) -> Form | None:
    """After a restart a button's form is unknown: when the core refuses a click for missing
    values, ask for exactly the fields it named."""
    if reply.ok or not reply.field_errors:
        return None
    title = reply.messages[0].text if reply.messages else "A few more details"
    fields = tuple(
        FormField(
            name=name,
            label=name.replace("_", " ").capitalize(),
            kind="long_text",
            placeholder=problem[:100],
        )
        for name, problem in reply.field_errors.items()
    )
    return Form(title=title[:45], action=action, target=target, fields=fields)
