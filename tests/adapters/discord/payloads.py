"""Discord's wire format for the tests: ids, users, messages and interaction payloads
(slash commands, button clicks, modal submits), as the gateway and REST API send them."""

from __future__ import annotations

import itertools
from typing import Any

APP_ID = "900000000000000001"
BOT_ID = "900000000000000002"
GUILD_ID = "800000000000000001"
CHANNELS = {
    "introductions": "700000000000000001",
    "moderators": "700000000000000002",
    "digest": "700000000000000003",
}
TIMESTAMP = "2026-01-05T09:00:00+00:00"
_ids = itertools.count(600000000000000001)


def snowflake() -> str:
    return str(next(_ids))


def user(user_id: str, name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name.capitalize(),
        "discriminator": "0",
        "avatar": None,
        "bot": user_id == BOT_ID,
    }


def message_payload(channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": snowflake(),
        "channel_id": channel_id,
        "type": 0,
        "author": user(BOT_ID, "infochat"),
        "content": body.get("content") or "",
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "flags": 0,
    }


def _base(
    kind: int, user_id: str, name: str, *, guild: bool, permissions: str, roles: list[str]
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": snowflake(),
        "application_id": APP_ID,
        "type": kind,
        "token": f"tok{snowflake()}",
        "version": 1,
        "locale": "en-US",
        "app_permissions": "0",
        "entitlements": [],
        "attachment_size_limit": 8_000_000,
    }
    if guild:
        payload.update(
            guild_id=GUILD_ID,
            channel_id=CHANNELS["introductions"],
            guild_locale="en-US",
            channel={
                "id": CHANNELS["introductions"],
                "type": 0,
                "guild_id": GUILD_ID,
                "name": "introductions",
                "position": 0,
                "permission_overwrites": [],
            },
            member={
                "user": user(user_id, name),
                "roles": roles,
                "permissions": permissions,
                "joined_at": TIMESTAMP,
                "deaf": False,
                "mute": False,
                "flags": 0,
            },
        )
    else:
        payload.update(
            channel_id="500000000000000001",
            user=user(user_id, name),
            channel={"id": "500000000000000001", "type": 1},
        )
    return payload


def slash(
    user_id: str,
    name: str,
    *path: str,
    permissions: str = "0",
    roles: tuple[str, ...] = (),
    in_dm: bool = False,
    **options: str | int,
) -> dict[str, Any]:
    """`/infochat <path…> option=value`, e.g. slash(u, "sam", "volunteer", "pause", until="…");
    `("mod", "queue")` is `/infochat-mod queue`. `in_dm`: sent from a DM (no guild)."""
    command = "infochat"
    if path[0] == "mod":
        command, path = "infochat-mod", path[1:]
    leaf: dict[str, Any] = {
        "name": path[-1],
        "type": 1,
        "options": [
            {"name": k, "type": 4 if isinstance(v, int) else 3, "value": v}
            for k, v in options.items()
        ],
    }
    for group in reversed(path[:-1]):
        leaf = {"name": group, "type": 2, "options": [leaf]}
    payload = _base(2, user_id, name, guild=not in_dm, permissions=permissions, roles=list(roles))
    payload["data"] = {"id": "1", "name": command, "type": 1, "options": [leaf]}
    if not in_dm:
        payload["data"]["guild_id"] = GUILD_ID
    return payload


def click(
    user_id: str,
    name: str,
    custom_id: str,
    *,
    in_dm: bool = True,
    interaction_id: str | None = None,
    permissions: str = "0",
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button press on `message` (by default a message holding just that button)."""
    payload = _base(3, user_id, name, guild=not in_dm, permissions=permissions, roles=[])
    if interaction_id is not None:
        payload["id"] = interaction_id
    if message is not None:
        _in_channel(payload, message["channel_id"])
    channel_id = payload["channel_id"]
    payload["message"] = message or message_payload(
        channel_id,
        {
            "components": [
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 1, "label": "x", "custom_id": custom_id}],
                }
            ]
        },
    )
    payload["data"] = {"custom_id": custom_id, "component_type": 2}
    return payload


def autocomplete(
    user_id: str,
    name: str,
    path: tuple[str, ...],
    focused: str,
    typed: str,
    *,
    in_dm: bool = False,
) -> dict[str, Any]:
    """The member is typing `typed` into option `focused` of `/infochat <path…>`."""
    payload = slash(user_id, name, *path, in_dm=in_dm, **{focused: typed})
    payload["type"] = 4
    leaf = payload["data"]
    while leaf.get("options") and leaf["options"][0]["type"] in (1, 2):
        leaf = leaf["options"][0]
    leaf["options"][0]["focused"] = True
    return payload


def inputs_of(modal: dict[str, Any]) -> list[dict[str, Any]]:
    """The inputs of a modal the bot sent (text inputs and selects), in order."""
    out: list[dict[str, Any]] = []
    for row in modal["components"]:
        out.extend([row["component"]] if row["type"] == 18 else row["components"])
    return out


def fill(
    user_id: str,
    name: str,
    modal: dict[str, Any],
    values: dict[str, str | list[str]],
    *,
    in_dm: bool = False,
    message: dict[str, Any] | None = None,
    permissions: str = "0",
) -> dict[str, Any]:
    """Submit a modal the bot sent, as Discord would: every input with its value (what the
    member typed, else what was prefilled); `message` when the modal came from a button."""
    rows: list[dict[str, Any]] = []
    resolved: dict[str, dict[str, Any]] = {}
    for item in inputs_of(modal):
        cid = item["custom_id"]
        if item["type"] == 3:
            chosen = values.get(cid, [o["value"] for o in item["options"] if o.get("default")])
            rows.append({"type": 18, "component": {"type": 3, "custom_id": cid, "values": chosen}})
        elif item["type"] == 5:  # a user select: Discord sends the picked user ids
            given = values.get(cid)
            picked = [given] if isinstance(given, str) else given
            if picked is None:
                picked = [d["id"] for d in item.get("default_values") or []]
            ids = [p.strip("<@!>") for p in picked if p]
            rows.append({"type": 18, "component": {"type": 5, "custom_id": cid, "values": ids}})
            resolved.update(
                {i: {"id": i, "username": f"user{i}", "global_name": None} for i in ids}
            )
        else:
            typed = values.get(cid, item.get("value") or "")
            rows.append({"type": 18, "component": {"type": 4, "custom_id": cid, "value": typed}})
    payload = _base(5, user_id, name, guild=not in_dm, permissions=permissions, roles=[])
    payload["data"] = {"custom_id": modal["custom_id"], "components": rows}
    if resolved:  # as Discord sends the users picked in a user select
        payload["data"]["resolved"] = {"users": resolved}
    if message is not None:
        payload["message"] = message
        _in_channel(payload, message["channel_id"])
    return payload


def _in_channel(payload: dict[str, Any], channel_id: str) -> None:
    """The interaction happened where the message is (as Discord sends it)."""
    payload["channel_id"] = channel_id
    payload["channel"] = {**payload["channel"], "id": channel_id}


def buttons_of(body: dict[str, Any]) -> dict[str, str]:
    """label → custom_id of the buttons in a recorded message body."""
    return {
        c["label"]: c["custom_id"]
        for row in body.get("components") or []
        for c in row["components"]
    }
