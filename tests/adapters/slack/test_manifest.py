"""The manifest declares the command, the home tab, its event, interactivity with the options
URL, and exactly the scopes the adapter uses."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.slack.setup_probe import REQUIRED_SCOPES

MANIFEST = Path(__file__).resolve().parents[3] / "deploy" / "slack-manifest.yml"
ADAPTER = Path(__file__).resolve().parents[3] / "adapters" / "slack"
SCOPES = REQUIRED_SCOPES  # what `infochat doctor` checks the token was granted
# Web API methods the adapter calls → the scopes they need (none: no scope needed).
METHODS: dict[str, str | tuple[str, ...] | None] = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "conversations_open": "im:write",
    "users_info": "users:read",
    "users_list": "users:read",
    "usergroups_users_list": "usergroups:read",
    "conversations_list": "channels:read",
    "conversations_members": "channels:read",
    "files_upload_v2": "files:write",
    # Looking for a message in doubt, wherever it may have gone: a channel, a private
    # channel, a DM, a group DM.
    "conversations_history": ("channels:history", "groups:history", "im:history", "mpim:history"),
    "views_open": None,
    "views_publish": None,
    "auth_test": None,  # once at start-up: who the bot is
    # `infochat doctor` and the setup checklist (setup_probe.py): a channel mapped by id,
    # the moderators' user group, and Socket Mode's app-level token (connections:write).
    "conversations_info": ("channels:read", "groups:read"),
    "usergroups_list": "usergroups:read",
    "apps_connections_open": None,
}


def scopes(text: str) -> set[str]:
    return {
        line.split("#")[0].strip().removeprefix("- ")
        for line in text.split("bot:\n", 1)[1].split("settings:", 1)[0].splitlines()
        if line.strip().startswith("- ")
    }


def test_manifest_scopes_command_events_and_interactivity() -> None:
    text = MANIFEST.read_text()
    assert scopes(text) == SCOPES
    assert "command: /infochat" in text
    assert text.count("https://infochat.example.org/slack/events") == 4
    assert "is_enabled: true" in text
    assert "home_tab_enabled: true" in text
    assert re.search(r"bot_events:\n\s+- app_home_opened", text)
    assert "message_menu_options_url:" in text


def test_every_web_api_call_of_the_adapter_is_covered_by_a_scope() -> None:
    source = "\n".join(p.read_text() for p in ADAPTER.glob("*.py"))
    called = set(re.findall(r"client\.([A-Za-z0-9_]+)\(", source))
    assert called == set(METHODS), called ^ set(METHODS)
    needed = {
        scope
        for scopes in METHODS.values()
        for scope in ((scopes,) if isinstance(scopes, str) else scopes or ())
    }
    assert needed | {"commands", "mpim:write", "groups:read"} == SCOPES


def test_the_readme_explains_both_modes_from_the_manifest() -> None:
    readme = (MANIFEST.parents[1] / "README.md").read_text(encoding="utf-8")
    slack = readme.split("## Slack\n", 1)[1].split("\n## ", 1)[0]
    for needed in (
        "deploy/slack-manifest.yml",
        "socket_mode_enabled",
        "INFOCHAT_SLACK_BOT_TOKEN",
        "INFOCHAT_SLACK_APP_TOKEN",
        "INFOCHAT_SLACK_SIGNING_SECRET",
        "connections:write",
        "INFOCHAT_SLACK_MODERATORS",
    ):
        assert needed in slack, needed
    assert "come later" not in readme.split("## ", 1)[0]
