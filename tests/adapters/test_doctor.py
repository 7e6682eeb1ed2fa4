"""`infochat doctor`: the database checks (never creating or migrating anything), and the
whole command as a real subprocess against the fake Slack and Discord servers."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from adapters import cli
from tests.adapters.doctor_support import diagnose, migrated

ROOT = Path(__file__).resolve().parents[2]


async def test_all_good_without_platforms(tmp_path: Path) -> None:
    report = await diagnose(data_dir=await migrated(tmp_path / "data"))
    assert report.status == 0, report.text
    assert report.lines[0] == "Database"
    assert report.line("✔ the database answers: sqlite+aiosqlite:///", "infochat.db")
    assert report.line("✔ the schema is at the newest migration")
    assert report.line("– not configured (INFOCHAT_SLACK_BOT_TOKEN is unset)")
    assert report.line("– not configured (INFOCHAT_DISCORD_TOKEN is unset)")
    assert report.lines[-1] == "All good."


async def test_a_database_not_created_yet_is_left_uncreated(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    report = await diagnose(data_dir=data_dir)
    assert report.status == 1
    assert report.failed() == [
        f"✘ the database {data_dir / 'infochat.db'} exists — not created yet: run infochat migrate"
    ]
    assert not data_dir.exists()


async def test_a_database_never_migrated_is_left_unmigrated(tmp_path: Path) -> None:
    path = tmp_path / "infochat.db"
    sqlite3.connect(path).close()
    report = await diagnose(data_dir=tmp_path)
    assert report.status == 1
    assert report.line("✔ the database answers")
    line = report.line("✘ the schema is at the newest migration")
    assert line.endswith("it has none yet — run infochat migrate")
    tables = sqlite3.connect(path).execute("select name from sqlite_master").fetchall()
    assert tables == []


async def test_an_older_schema_is_named(tmp_path: Path) -> None:
    data_dir = await migrated(tmp_path)
    with sqlite3.connect(data_dir / "infochat.db") as conn:
        conn.execute("update alembic_version set version_num = '0001'")
    report = await diagnose(data_dir=data_dir)
    assert "it is at 0001 — run infochat migrate" in report.line("✘ the schema is at")


async def test_a_database_that_does_not_answer(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://infochat:pw-very-secret@127.0.0.1:9/infochat"
    pytest.importorskip("asyncpg")
    report = await diagnose(data_dir=tmp_path, database_url=url)
    assert report.status == 1
    line = report.line("✘ the database answers: postgresql+asyncpg://infochat:***@127.0.0.1:9")
    assert "check INFOCHAT_DATABASE_URL" in line
    assert "pw-very-secret" not in report.text


def test_the_command_line_sets_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_DATA_DIR", str(tmp_path / "none"))
    assert cli.main(["doctor", "--timeout", "2"]) == 1
    assert "not created yet: run infochat migrate" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["doctor", "--timeout", "soon"])


async def test_doctor_as_a_process_prints_both_problems_with_fixes(tmp_path: Path) -> None:
    """The acceptance case: a missing scope and a channel the bot isn't in, on Slack; and
    on Discord a channel where the bot may not post. Real process, real exit status."""
    pytest.importorskip("slack_bolt")
    pytest.importorskip("discord")
    from tests.adapters.discord.harness import BOT_ROLE_ID, FakeDiscord
    from tests.adapters.slack.harness import FakeSlack

    slack = FakeSlack(latency=0.0)
    slack.scopes.discard("files:write")
    slack.outside.add("digest")
    server = TestServer(slack.application(), host="127.0.0.1")
    await server.start_server()
    slack.url = str(server.make_url("/"))
    discord_fake = FakeDiscord()
    await discord_fake.start()
    discord_fake.overwrites["moderators"] = [
        {"id": BOT_ROLE_ID, "type": 0, "allow": "0", "deny": str(1 << 11)}
    ]
    data_dir = await migrated(tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("INFOCHAT_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "INFOCHAT_DATA_DIR": str(data_dir),
        "INFOCHAT_SLACK_BOT_TOKEN": "xoxb-process-secret",
        "INFOCHAT_SLACK_APP_TOKEN": "xapp-process-secret",
        "INFOCHAT_SLACK_API_URL": f"{slack.url}api/",
        "INFOCHAT_DISCORD_TOKEN": "discord-process-secret",
        "INFOCHAT_DISCORD_API_BASE": discord_fake.base,
    }
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "doctor", "--timeout", "10",
            env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await server.close()
        await discord_fake.close()
    text = out.decode()
    assert process.returncode == 1, text + err.decode()
    assert "✘ granted scopes: missing files:write — add them under OAuth & Permissions" in text
    assert "✘ the app is in #digest — type /invite @infochat in #digest" in text
    assert "✘ the bot can do its work in #moderators: missing Send Messages, Embed Links" in text
    assert text.splitlines()[-1].startswith("3 problems: fix the ✘ lines above")
    for secret in ("xoxb-process-secret", "xapp-process-secret", "discord-process-secret"):
        assert secret not in text + err.decode()
