"""The manifest declares the command, interactivity and exactly the scopes the adapter uses."""

from __future__ import annotations

from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[3] / "deploy" / "slack-manifest.yml"
SCOPES = {
    "commands",
    "chat:write",
    "im:write",
    "mpim:write",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "files:write",
}


def test_manifest_scopes_command_and_interactivity() -> None:
    text = MANIFEST.read_text()
    scopes = {
        line.split("#")[0].strip().removeprefix("- ")
        for line in text.split("bot:\n", 1)[1].split("settings:", 1)[0].splitlines()
        if line.strip().startswith("- ")
    }
    assert scopes == SCOPES
    assert "command: /infochat" in text
    assert text.count("/slack/events") == 2
    assert "is_enabled: true" in text
