"""`--demo`: a fresh demo community, seeded through real commands, at every start."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from adapters.console import demo
from adapters.console.runner import ConsoleOptions, run_console
from bot.clock import FakeClock
from bot.config import Settings


async def _run(tmp_path: Path, script: str, *, strict: bool = False) -> tuple[int, str]:
    output: list[str] = []
    settings = Settings(data_dir=tmp_path / "data")
    code = await run_console(
        settings,
        ConsoleOptions(demo=True, script="-", strict=strict),
        io.StringIO(script),
        output.append,
        FakeClock(),
    )
    return code, "\n".join(output)


def test_the_demo_volunteers_are_varied() -> None:
    assert len(demo.VOLUNTEERS) >= 8
    for attribute in ("role", "org"):
        assert len({getattr(v, attribute) for v in demo.VOLUNTEERS}) == len(demo.VOLUNTEERS)
    profiles = " ".join(v.profile for v in demo.VOLUNTEERS)
    assert profiles.count("timezone=") == len(demo.VOLUNTEERS)
    assert len({v.profile.split("timezone=")[1].split()[0] for v in demo.VOLUNTEERS}) >= 8
    assert "affiliations=" in profiles and "capacity=" in profiles and "languages=" in profiles


async def test_the_demo_requires_approval_has_a_moderator_and_a_paused_volunteer(
    tmp_path: Path,
) -> None:
    script = (
        "mo /infochat mod settings\nomar /infochat volunteer show\npriya /infochat volunteer show\n"
    )
    code, out = await _run(tmp_path, script, strict=True)
    assert code == 0, out
    assert "approval_required: True" in out
    assert "Status: paused until 2026-02-04" in out  # 30 days after the clock's start
    assert "Role: Data engineer at Acme" in out
    assert (tmp_path / "data" / "demo.db").exists()


async def test_the_demo_starts_afresh_every_time(tmp_path: Path) -> None:
    join = "alex /infochat volunteer join role=a org=b topics=c timezone=UTC\n"
    assert (await _run(tmp_path, join, strict=True))[0] == 0
    code, out = await _run(tmp_path, join, strict=True)
    assert code == 0, out  # alex is new again: the demo data was recreated


def test_the_console_imports_no_platform_library(tmp_path: Path) -> None:
    # A fresh interpreter: in this one the Slack and Discord tests have loaded their libraries.
    probe = (
        "import sys\n"
        "from adapters import cli\n"
        "code = cli.main(['run', '--demo', '--script', '-'])\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "print('PLATFORMS', sorted(loaded & {'discord', 'slack_bolt', 'slack_sdk'}), code)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("INFOCHAT_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    done = subprocess.run(
        [sys.executable, "-c", probe],
        input="sam /infochat help\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert "PLATFORMS [] 0" in done.stdout, done.stderr[-2000:]
