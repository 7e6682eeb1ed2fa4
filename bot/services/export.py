"""`/infochat mod export [period=4w|12w|1y] [names=on] [texts=on]` (issue 12): the period's
requests, asks, introductions and chats as CSV files, sent to the moderator privately.

Members are pseudonymised by default: each is a code made with HMAC-SHA256 under a random
key drawn for this one export, so a member has the same code in all four files of an
export, and codes can't be matched across exports or back to a member. `names=on` adds
display names, `texts=on` adds what members wrote (why, questions, notes, thank-yous); the
audit log records every export with both choices. The rows are read in a read snapshot
before the command's transaction, beside the writer."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Command, arg_str
from bot.domain.health import DEFAULT_PERIOD, PERIOD_NAMES, PERIODS, WEEK, parse_period
from bot.errors import InvalidInput, UserError
from bot.services.context import Context, Handler, Snapshot
from bot.storage import audit
from bot.storage import digest as digest_store
from bot.storage.export import ExportRows, export_rows
from bot.text import clean
from bot.views import Attachment, Message, Reply

FORMULA = ("=", "+", "-", "@", "\t", "\r")
FIELDS = frozenset({"period", "names", "texts"})
# Each file's columns: (column, kind); kind "member" is pseudonymised (a name column follows
# it with names=on), "text" is what a member wrote (only with texts=on).
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "requests": (
        ("request", ""), ("seeker", "member"), ("topic", ""), ("status", ""),
        ("close_reason", ""), ("minutes", ""), ("format", ""), ("time_frame_days", ""),
        ("submitted_at", ""), ("closed_at", ""), ("why", "text"), ("questions", "text"),
    ),
    "asks": (
        ("ask", ""), ("request", ""), ("volunteer", "member"), ("status", ""),
        ("asked_at", ""), ("decided_at", ""), ("note", "text"), ("deny_reason", "text"),
    ),
    "introductions": (
        ("introduction", ""), ("request", ""), ("seeker", "member"),
        ("volunteer", "member"), ("status", ""), ("minutes", ""), ("introduced_at", ""),
        ("slot_start", ""), ("completed_at", ""),
    ),
    "chats": (
        ("introduction", ""), ("seeker", "member"), ("volunteer", "member"), ("minutes", ""),
        ("chat_at", ""), ("thanked", ""), ("thanks_text", "text"),
    ),
}  # fmt: skip


def on_off(command: Command, name: str) -> bool:
    raw = clean(arg_str(command.args, name, "off")).lower()
    if raw not in ("on", "off"):
        raise InvalidInput(
            f"{name} takes on or off, e.g. `/infochat mod export {name}=on`.",
            fields={name: "on or off"},
        )
    return raw == "on"


@dataclass(frozen=True)
class Choices:
    period: str
    names: bool
    texts: bool


def choices(command: Command) -> Choices:
    period = parse_period(arg_str(command.args, "period", DEFAULT_PERIOD))
    return Choices(period, on_off(command, "names"), on_off(command, "texts"))


def pseudonym(key: bytes, member_id: int) -> str:
    return "m-" + hmac.new(key, str(member_id).encode(), hashlib.sha256).hexdigest()[:12]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        value = json.dumps(list(value), ensure_ascii=False)
    text = str(value)
    # A spreadsheet would run what a member wrote as a formula: make it plain text.
    return "'" + text if text.startswith(FORMULA) else text


def to_csv(rows: Sequence[dict[str, Any]], file: str, key: bytes, c: Choices) -> bytes:
    header: list[str] = []
    for column, kind in COLUMNS[file]:
        if kind == "text" and not c.texts:
            continue
        header.append(column)
        if kind == "member" and c.names:
            header.append(f"{column}_name")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        out = []
        for column, kind in COLUMNS[file]:
            if kind == "text" and not c.texts:
                continue
            if kind == "member":
                out.append(pseudonym(key, int(row[column])))
                if c.names:
                    out.append(_cell(row[f"{column}_name"]))
            else:
                out.append(_cell(row[column]))
        writer.writerow(out)
    return buffer.getvalue().encode()


@dataclass(frozen=True)
class Prepared:
    community_id: int
    choices: Choices
    rows: ExportRows


async def export_snapshot(conn: AsyncConnection, command: Command, now: datetime) -> object:
    """The rows, read beside the writer (for moderators' valid commands only: the handler
    checks both again)."""
    if not command.actor.is_moderator or set(command.args) - FIELDS:
        return None
    try:
        picked = choices(command)
    except UserError:
        return None
    community = await digest_store.community_of(conn, command.actor.community)
    if community is None:
        return None
    start = now - PERIODS[picked.period] * WEEK
    return Prepared(community.id, picked, await export_rows(conn, community.id, start, now))


async def export(ctx: Context) -> Reply:
    ctx.require_moderator()
    picked = choices(ctx.command)
    prepared = ctx.prepared
    if isinstance(prepared, Prepared) and (prepared.community_id, prepared.choices) == (
        ctx.community.id,
        picked,
    ):
        rows = prepared.rows
    else:
        start = ctx.now - PERIODS[picked.period] * WEEK
        rows = await export_rows(ctx.conn, ctx.community.id, start, ctx.now)
    key = secrets.token_bytes(32)  # this export's own: its codes match nothing else
    stamp = f"{ctx.now.astimezone(ZoneInfo(ctx.settings.timezone)):%Y%m%d-%H%M}"
    files = tuple(
        Attachment(
            filename=f"infochat-{name}-{picked.period}-{stamp}.csv",
            content_type="text/csv",
            data=base64.b64encode(to_csv(getattr(rows, name), name, key, picked)).decode(),
        )
        for name in COLUMNS
    )
    await audit.record(
        ctx.conn,
        ctx.community.id,
        ctx.actor.id,
        "export",
        picked.period,
        {"names": picked.names, "texts": picked.texts},
        ctx.now,
    )
    who = "named (display names)" if picked.names else "pseudonymised (a code per member)"
    texts = "with" if picked.texts else "without"
    counts = ", ".join(f"{name}: {len(getattr(rows, name))}" for name in COLUMNS)
    await ctx.dm(
        ctx.actor.id,
        Message(
            title=f"infochat export: {PERIOD_NAMES[picked.period]}",
            text=f"{counts}. Members are {who}, {texts} the texts members wrote. Keep these "
            "files private.",
            attachments=files,
        ),
    )
    return Reply.say(
        f"The export ({counts}) is on its way to your direct messages as four CSV files. "
        f"Members are {who}; texts members wrote are {'included' if picked.texts else 'left out'}"
        ". The audit log records this export."
    )


HANDLERS: dict[str, Handler] = {"mod.export": export}
SNAPSHOTS: dict[str, Snapshot] = {"mod.export": export_snapshot}
