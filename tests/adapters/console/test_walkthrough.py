"""The README walkthrough, played by the real `infochat` command in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WALKTHROUGH = ROOT / "docs" / "walkthrough.txt"


def infochat_command() -> list[str]:
    script = Path(sys.executable).with_name("infochat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]


def test_the_readme_walkthrough_from_request_to_digest(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("INFOCHAT_")}
    env["INFOCHAT_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [*infochat_command(), "run", "--demo", "--script", str(WALKTHROUGH)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "[#introductions: sam + alex] Introduction: Sam meet Alex" in out
    refused = set(re.findall(r"\((\d+)\) \[to \w+ · refused\]", out))
    assert len(refused) == 1  # only the vague first request, which the coach stops
    assert "\n! " not in out  # no bad line
    assert "#1 data engineering: introduced to Alex" in out
    # Then time passes: the invite, the follow-up, the thank-you, the ledger and a digest.
    assert (tmp_path / "data" / "attachments" / "infochat-1.ics").exists()
    assert "[dm → sam] Did your chat with Alex happen?" in out
    assert "[dm → alex] A thank-you from Sam" in out
    assert "Chats given: 1" in out and "Chats received: 1" in out
    assert "Thank you to: Alex" in out.rsplit("infochat> wait 7d", 1)[-1]  # the posted digest
    assert (tmp_path / "data" / "demo.db").exists()
    assert result.stderr == ""


def test_the_readme_shows_the_walkthrough_as_written() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [
        line
        for line in WALKTHROUGH.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for line in commands:
        assert line in readme, f"README.md lacks the walkthrough line: {line}"
