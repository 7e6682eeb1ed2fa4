"""`/infochat mod health` played through the console, as a moderator types it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.console.conftest import MakeConsole, scenario


async def test_a_moderator_reads_program_health_and_gets_the_chart(
    make_console: MakeConsole, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    console = await make_console(strict=True)
    assert await console.play(scenario("program_health.txt")) == 0, console.text

    shown = console.during("mo /infochat mod health period=12w", "mo")
    reply, chart = (m for m in shown if m.kind in ("reply", "dm"))
    assert reply.kind == "reply" and reply.ok
    text = reply.message.text
    assert text.startswith("Needs attention first:")
    assert "1 request about ux research closed with nobody to ask" in text
    assert "Requests: 2 sent → 1 asked → 1 accepted → 1 introduced → 0 chatted" in text
    assert chart.kind == "dm" and chart.message.attachments
    (png,) = (tmp_path / "attachments").glob("health-12w-*.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert f"saved {png}" in console.text


async def test_members_are_refused_and_bad_periods_too(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)
    assert await console.play(scenario("program_health.txt")) == 0, console.text

    assert console.refused() == []  # both refusals were expected (`#! refused`), and came
    (member,) = console.during("sam /infochat mod health", "sam")
    assert not member.ok and "Only moderators" in member.message.text
    assert not [
        m for m in console.private("sam", after="sam /infochat mod health") if m.kind == "dm"
    ]
    (bad,) = console.during("mo /infochat mod health period=5x", "mo")
    assert "Use one of 4w, 12w, 1y" in bad.message.text


async def test_a_moderator_exports_csv_files_and_a_member_may_not(
    make_console: MakeConsole, tmp_path: Path
) -> None:
    console = await make_console(strict=True)
    assert await console.play(scenario("program_health.txt")) == 0, console.text

    saved = sorted(p.name.split("-")[1] for p in (tmp_path / "attachments").glob("*.csv"))
    assert saved == ["asks", "chats", "introductions", "requests"]
    (requests,) = (tmp_path / "attachments").glob("infochat-requests-*.csv")
    header, *rows = requests.read_text(encoding="utf-8").splitlines()
    assert header.startswith("request,seeker,topic,") and len(rows) == 2
    assert "Sam" not in requests.read_text(encoding="utf-8")  # pseudonymised by default
    (member,) = console.during("sam /infochat mod export names=on", "sam")
    assert not member.ok and "Only moderators" in member.message.text
    audit = console.during("mo /infochat mod audit", "mo")
    assert any("export 4w names=False, texts=False" in str(m.sent) for m in audit)
