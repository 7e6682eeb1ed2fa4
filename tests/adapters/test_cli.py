"""`infochat run` and `infochat migrate`, in-process."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters import cli


def test_a_discord_token_starts_the_discord_adapter_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[tuple[str, ...]] = []

    def fake_run(settings: cli.Settings) -> int:
        assert settings.discord_token is not None
        started.append(settings.platforms)
        return 0

    monkeypatch.setattr(cli, "run_platforms_bot", fake_run)
    monkeypatch.setenv("INFOCHAT_DISCORD_TOKEN", "very-secret-token")
    assert cli.main(["run"]) == 0
    assert started == [("discord",)]
    captured = capsys.readouterr()
    assert "very-secret-token" not in captured.err + captured.out


def test_slack_and_discord_settings_start_both_in_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[tuple[str, ...]] = []

    def fake_run(settings: cli.Settings) -> int:
        started.append(settings.platforms)
        return 0

    monkeypatch.setattr(cli, "run_platforms_bot", fake_run)
    monkeypatch.setenv("INFOCHAT_DISCORD_TOKEN", "d")
    monkeypatch.setenv("INFOCHAT_SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("INFOCHAT_SLACK_SIGNING_SECRET", "s")
    assert cli.main(["run"]) == 0
    assert started == [("slack", "discord")]


def test_migrate_creates_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_DATA_DIR", str(tmp_path / "d"))
    assert cli.main(["migrate"]) == 0
    assert (tmp_path / "d" / "infochat.db").exists()
    assert "up to date" in capsys.readouterr().out
    assert cli.main(["migrate"]) == 0  # idempotent


def test_a_bad_configuration_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_LOG_LEVEL", "chatty")
    assert cli.main(["migrate"]) == cli.EXIT_USAGE
    assert "log_level" in capsys.readouterr().err


def test_a_missing_script_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "--script", "nope.txt"]) == cli.EXIT_USAGE
    assert "Can't read the script nope.txt" in capsys.readouterr().err


def test_fresh_needs_a_sqlite_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_DATABASE_URL", "postgresql+asyncpg://u:pw@db/infochat")
    assert cli.main(["run", "--fresh", "--script", "-"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "--fresh only works with a SQLite" in err
    assert "pw" not in err


def test_run_plays_stdin_persistently_and_strict_fails_on_a_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_DATA_DIR", str(tmp_path / "d"))
    join = 'priya /infochat volunteer join role="Data engineer" org=Acme topics=data timezone=UTC\n'
    monkeypatch.setattr("sys.stdin", io.StringIO(join))
    assert cli.main(["run", "--script", "-", "--community", "team"]) == 0
    assert "Thank you for volunteering!" in capsys.readouterr().out
    # The same file next time: priya is still a volunteer, so joining again is refused.
    monkeypatch.setattr("sys.stdin", io.StringIO(join))
    assert cli.main(["run", "--strict", "--community", "team"]) == 1
    out = capsys.readouterr().out
    assert "You're already a volunteer" in out
    assert "stopped at line 1 (--strict)" in out
    # --fresh starts over.
    monkeypatch.setattr("sys.stdin", io.StringIO(join))
    assert cli.main(["run", "--fresh", "--strict", "--community", "team"]) == 0


def test_the_parser_knows_both_commands() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["run", "--demo", "--moderators", "a,b", "--script", "-"])
    assert (args.command, args.demo, args.moderators, args.script) == ("run", True, "a,b", "-")
    assert parser.parse_args(["migrate"]).command == "migrate"
    with pytest.raises(SystemExit):
        parser.parse_args([])


def test_a_moderator_that_cant_be_a_member_name_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setattr("sys.stdin", io.StringIO("mo /infochat mod queue\n"))
    assert cli.main(["run", "--script", "-", "--moderators", "@"]) == cli.EXIT_USAGE
    assert "--moderators: “@” can't be a member name" in capsys.readouterr().err
    assert not (tmp_path / "d" / "infochat.db").exists()
    # `@mo` names the member mo, as everywhere on the console.
    monkeypatch.setattr("sys.stdin", io.StringIO("mo /infochat mod queue\n"))
    assert cli.main(["run", "--strict", "--moderators", "@mo"]) == 0
    assert "Only moderators" not in capsys.readouterr().out
