"""The README walkthrough: played by the real `infochat` command with --strict, and the output
the README quotes checked against a real run."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from adapters.console.runner import ConsoleOptions, run_console
from bot.clock import FakeClock
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[3]
WALKTHROUGH = ROOT / "docs" / "walkthrough.txt"
README = ROOT / "README.md"
# The day the README's quoted output was made (a Wednesday): which weekday a `wait` starts
# on decides whether it crosses the Monday digest, and so the numbering after it.
README_RUN = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)
_QUOTED = re.compile(r"^\((\d+)\) (\[[^\]]+\].*)$")


def infochat_command() -> list[str]:
    script = Path(sys.executable).with_name("infochat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]


def test_the_readme_walkthrough_from_request_to_digest_plays_strictly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("INFOCHAT_")}
    env["INFOCHAT_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [*infochat_command(), "run", "--demo", "--script", str(WALKTHROUGH), "--strict"],
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
    readme = README.read_text(encoding="utf-8")
    commands = [
        line
        for line in WALKTHROUGH.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for line in commands:
        assert line in readme, f"README.md lacks the walkthrough line: {line}"


def readme_walkthrough_quotes() -> list[tuple[int, str]]:
    """Every `(n) [label] first line` the README's walkthrough quotes as output."""
    readme = README.read_text(encoding="utf-8")
    section = readme.split("\n## Walkthrough", 1)[1].split("\n## ", 1)[0]
    found = (_QUOTED.match(line) for line in section.splitlines())
    return [(int(m.group(1)), m.group(2)) for m in found if m]


async def test_the_output_the_readme_quotes_is_what_the_walkthrough_prints(
    tmp_path: Path,
) -> None:
    output: list[str] = []
    code = await run_console(
        Settings(data_dir=tmp_path / "data"),
        ConsoleOptions(demo=True, script=str(WALKTHROUGH), strict=True),
        io.StringIO(),
        output.append,
        FakeClock(README_RUN),
    )
    assert code == 0, "\n".join(output)
    printed: dict[int, str] = {}
    for block in output:
        for line in block.splitlines():
            match = _QUOTED.match(line)
            if match:
                printed.setdefault(int(match.group(1)), match.group(2))
    quotes = readme_walkthrough_quotes()
    assert len(quotes) >= 4
    for number, first_line in quotes:
        actual = [n for n, text in printed.items() if text == first_line]
        assert printed.get(number) == first_line, (
            f"README.md quotes ({number}) {first_line}\n"
            f"but the walkthrough prints ({number}) {printed.get(number)}"
            + (f"\nand prints that line as ({actual[0]})" if actual else "")
        )
