"""`infochat simulate`: its options and their errors, a whole run with the simulator's parts
replaced by fakes (`adapters.simulate.Engine`), and the progress bar."""

from __future__ import annotations

import argparse
import io
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters import cli
from adapters.simulate import Engine, ProgressBar, chosen_strategies, overrides, run
from bot.simulate.results import StrategyResult
from bot.simulate.scenario import load_scenario
from bot.simulate.strategies import STRATEGIES
from tests.bot.simulate.results_samples import result

YEAR = 365


class FakeScenarioError(Exception):
    pass


@dataclass
class FakeScenario:
    path: Path | None
    overrides: dict[str, str]

    def describe(self) -> list[str]:
        return ["a made-up community", f"overrides: {sorted(self.overrides.items())}"]


@dataclass
class Fakes:
    """The simulator's parts, recording how the command called them."""

    gini: float = 0.25
    scenarios: list[FakeScenario] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)

    def load_scenario(self, path: Path | None, overrides: Mapping[str, str]) -> FakeScenario:
        if "volunteers" in overrides and int(overrides["volunteers"]) > 5000:
            raise FakeScenarioError("volunteers: more volunteers (6000) than members (5000)")
        scenario = FakeScenario(path, dict(overrides))
        self.scenarios.append(scenario)
        return scenario

    def draw(self, scenario: FakeScenario) -> str:
        return f"plan of {scenario.overrides}"

    async def simulate(
        self,
        plan: str,
        strategies: Sequence[str],
        folder: Path,
        *,
        progress: Callable[[str, int, int], None] | None = None,
        parallel: bool = True,
    ) -> list[StrategyResult]:
        (folder / "infochat.db").write_bytes(b"SQLite format 3\x00")
        self.runs.append({"plan": plan, "strategies": list(strategies), "folder": folder,
                          "parallel": parallel})  # fmt: skip
        for name in strategies:
            for day in range(0, YEAR + 1, 5):
                if progress is not None:
                    progress(name, day, YEAR)
        return [
            result(name, gini=self.gini)
            if name == "infochat"
            else result(name, gini=0.45, in_time=70, median_days=4.0)
            for name in strategies
        ]

    def engine(self) -> Engine:
        return Engine(
            self.load_scenario,
            self.draw,
            self.simulate,
            ("infochat", "random", "first-to-claim"),
            FakeScenarioError,
        )


def parse(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(["simulate", *argv])


def play(fakes: Fakes, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run(parse(*argv), engine=fakes.engine(), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--set", "capacity"], "--set takes KEY=VALUE"),
        (["--set", "=2"], "--set takes KEY=VALUE"),
        (["--set", "capacity="], "--set takes KEY=VALUE"),
        (["--months", "twelve"], "--months takes a whole number"),
        (["--members", "0"], "--members takes a whole number"),
        (["--seed", "-1"], "--seed takes a whole number"),
        (["--config", "missing.toml"], "--config: no such file: missing.toml"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_status_2(
    argv: list[str], says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_LOG_LEVEL", "NOT-A-LEVEL")  # the bot's settings are never read
    assert cli.main(["simulate", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"infochat simulate: {says}")
    assert captured.out == ""


def test_an_unknown_strategy_is_refused_naming_the_known_ones() -> None:
    status, out, err = play(Fakes(), "--strategies", "infochat,best-fit")
    assert status == 2
    assert err == (
        "infochat simulate: --strategies: unknown best-fit; "
        "choose from infochat, random, first-to-claim\n"
    )
    assert out == ""
    assert play(Fakes(), "--strategies", " , ")[0] == 2
    assert play(Fakes(), "--strategies", "random,random")[0] == 2


def test_a_bad_scenario_is_one_line_without_traceback() -> None:
    fakes = Fakes()
    status, _, err = play(fakes, "--set", "volunteers=6000")
    assert status == 2
    assert err == "infochat simulate: volunteers: more volunteers (6000) than members (5000)\n"
    assert fakes.runs == []


def test_a_full_run_prints_the_table_and_writes_the_report(tmp_path: Path) -> None:
    fakes = Fakes()
    (tmp_path / "what-if.toml").write_text("months = 3\n", encoding="utf-8")
    status, out, err = play(
        fakes,
        "--config", "what-if.toml",
        "--set", "capacity=1-2", "--set", "approval_required=true", "--set", "months=2",
        "--seed", "7", "--months", "3", "--members", "500", "--no-progress",
    )  # fmt: skip
    assert status == 0, err
    assert err == ""
    scenario = fakes.scenarios[0]
    assert scenario.path == Path("what-if.toml")
    assert scenario.overrides == {
        "capacity": "1-2",
        "approval_required": "true",
        "months": "3",  # --months after --set months=…
        "seed": "7",
        "members": "500",
    }
    lines = out.splitlines()
    described = f"  overrides: {sorted(scenario.overrides.items())}"
    assert lines[:3] == ["Scenario:", "  a made-up community", described]
    header = next(line for line in lines if line.lstrip().startswith("infochat"))
    assert header.split()[:3] == ["infochat", "random", "first-to-claim"]
    assert any(line.startswith("introduced within 14 days") for line in lines)
    assert any(line.startswith("Run time: ") for line in lines)
    assert lines[-1] == "Report: simulation-report/report.md"
    report = (tmp_path / "simulation-report" / "report.md").read_text(encoding="utf-8")
    assert "- a made-up community" in report
    assert "| introduced within 14 days |" in report
    (played,) = fakes.runs
    assert played["strategies"] == ["infochat", "random", "first-to-claim"]
    assert played["parallel"] is True
    assert played["plan"].startswith("plan of ")
    assert not played["folder"].exists()  # the temporary SQLite files are gone


def test_serial_chosen_strategies_kept_databases_and_another_report_folder(
    tmp_path: Path,
) -> None:
    fakes = Fakes()
    status, out, _ = play(
        fakes, "--serial", "--strategies", "random,infochat", "--keep-db", "dbs",
        "--report", str(tmp_path / "elsewhere"), "--no-progress",
    )  # fmt: skip
    assert status == 0
    (played,) = fakes.runs
    assert played["parallel"] is False
    assert played["strategies"] == ["random", "infochat"]
    assert (tmp_path / "dbs" / "infochat.db").exists()
    assert (tmp_path / "elsewhere" / "report.md").exists()
    header = next(line for line in out.splitlines() if "target" in line)
    assert header.split()[:2] == ["infochat", "random"]  # infochat first all the same
    assert "SQLite files kept in dbs" in out
    # Kept files are never mixed with another run's.
    status, _, err = play(Fakes(), "--keep-db", "dbs")
    assert status == 2
    assert err == "infochat simulate: --keep-db: dbs must be a new or empty directory\n"


def test_check_exits_1_when_infochat_misses_a_target() -> None:
    assert play(Fakes(gini=0.5), "--no-progress")[0] == 0  # the outcome is in the table
    status, out, err = play(Fakes(gini=0.5), "--no-progress", "--check")
    assert status == 1
    assert "volunteer load Gini" in out
    assert "infochat simulate: target missed: volunteer load Gini: 0.50, target ≤ 0.35" in err
    assert play(Fakes(), "--no-progress", "--check")[0] == 0


def test_the_progress_bar_goes_to_stderr_unless_turned_off() -> None:
    status, out, err = play(Fakes(), "--strategies", "infochat,random")
    assert status == 0
    assert "months" not in out
    lines = err.splitlines()
    assert lines[-1].startswith("random") and lines[-1].endswith("12/12 months  done")
    assert 2 * 12 <= len(lines) <= 2 * 14  # about a line a simulated month per strategy


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_each_strategy_has_one_line_redrawn_in_place() -> None:
    screen = Terminal()
    bar = ProgressBar(screen, ["infochat", "first-to-claim"], width=10)
    bar("infochat", 0, YEAR)
    assert screen.getvalue() == (
        "\rinfochat        [----------] 0/12 months\x1b[K\n"
        "\rfirst-to-claim  [----------] 0/12 months\x1b[K"
    )
    bar("first-to-claim", 183, YEAR)
    redraw = screen.getvalue().split("\x1b[K", 2)[2]
    assert redraw == (
        "\x1b[1A\rinfochat        [----------] 0/12 months\x1b[K\n"
        "\rfirst-to-claim  [#####-----] 6/12 months\x1b[K"
    )
    bar("infochat", YEAR, YEAR)
    bar.close()
    assert screen.getvalue().endswith("\rfirst-to-claim  [#####-----] 6/12 months\x1b[K\n")
    assert "infochat        [##########] 12/12 months" in screen.getvalue()


def test_off_a_terminal_a_line_a_simulated_month() -> None:
    log = io.StringIO()
    bar = ProgressBar(log, ["infochat"], width=10)
    for day in range(YEAR + 1):
        bar("infochat", day, YEAR)
    bar.close()
    lines = log.getvalue().splitlines()
    assert lines[0] == "infochat  [----------] 0/12 months"
    assert lines[6] == "infochat  [#####-----] 6/12 months"
    assert lines[-1] == "infochat  [##########] 12/12 months  done"
    assert len(lines) == 13
    assert "\r" not in log.getvalue()


def test_a_terminal_is_redrawn_only_when_a_bar_moves_and_full_only_when_done() -> None:
    screen = Terminal()
    bar = ProgressBar(screen, ["infochat"], width=10)
    bar("infochat", 0, YEAR)
    bar("infochat", 1, YEAR)  # the same bar: nothing written
    assert screen.getvalue() == "\rinfochat  [----------] 0/12 months\x1b[K"
    bar("infochat", YEAR - 1, YEAR)
    assert screen.getvalue().endswith("\rinfochat  [#########-] 11/12 months\x1b[K")


def test_every_simulate_line_in_the_readme_parses_and_its_scenario_loads() -> None:
    """The README's `infochat simulate …` examples run as written (up to the simulation)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    lines = [
        line.split("#")[0].split("infochat simulate", 1)[1]
        for line in readme.splitlines()
        if line.startswith(".venv/bin/infochat simulate")
    ]
    assert len(lines) >= 6
    for line in lines:
        args = parse(*shlex.split(line))
        strategies = chosen_strategies(args.strategies, STRATEGIES)
        assert strategies
        config = Path(args.config) if args.config else None
        if config is not None and not config.is_absolute():  # the README copies the default
            config = Path(__file__).resolve().parents[2] / "docs" / "simulate-default.toml"
        load_scenario(config, overrides(args))
