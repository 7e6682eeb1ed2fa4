"""`infochat simulate`: a synthetic community year played through the real core, once per
matching strategy, with the program-health measures side by side (issue 12).

It never reads the bot's settings nor touches its database: the scenario comes from its own
defaults, a TOML file and `--set` overrides, and every strategy runs on a SQLite file in a
temporary directory (kept with `--keep-db DIR`). The simulator's parts are imported when the
command runs, through `Engine`, which tests replace with fakes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from bot.simulate.report import missed, table, write_report
from bot.simulate.results import StrategyResult

EXIT_OK, EXIT_MISSED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_REPORT = "simulation-report"
DEFAULT_STRATEGIES = "infochat,random,first-to-claim"
MONTH_DAYS = 365.25 / 12
SHORTHANDS = ("seed", "months", "members")  # `--seed N` is `--set seed=N`, and so on


class Described(Protocol):
    def describe(self) -> list[str]: ...


# progress(strategy, simulated days done, simulated days in all)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Engine:
    """The simulator's parts the command drives: `bot.simulate.scenario`, `population`,
    `run` and `strategies`."""

    load_scenario: Callable[[Path | None, Mapping[str, str]], Described]
    draw: Callable[[Any], Any]  # Scenario -> Plan
    simulate: Callable[..., Awaitable[list[StrategyResult]]]
    strategies: tuple[str, ...]
    scenario_error: type[Exception]


def real_engine() -> Engine:
    from bot.simulate.population import draw
    from bot.simulate.run import simulate
    from bot.simulate.scenario import ScenarioError, load_scenario
    from bot.simulate.strategies import STRATEGIES

    return Engine(load_scenario, draw, simulate, tuple(STRATEGIES), ScenarioError)


def add_command(commands: Any) -> None:
    """The `simulate` subcommand (`commands`: argparse's subparsers)."""
    parser = commands.add_parser(
        "simulate",
        help="play a synthetic community year through the core under each matching strategy "
        "and report the program-health measures against the targets",
    )
    parser.add_argument(
        "--config", metavar="FILE.toml", help="the scenario (see docs/simulate-default.toml)"
    )
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one scenario parameter or community setting (repeatable), e.g. "
        "capacity=1-2, approval_required=true",
    )
    parser.add_argument("--seed", metavar="N", help="the random seed (same seed, same table)")
    parser.add_argument("--months", metavar="N", help="how many months to simulate")
    parser.add_argument("--members", metavar="N", help="the community's size")
    parser.add_argument(
        "--strategies",
        default=DEFAULT_STRATEGIES,
        metavar="A,B",
        help=f"the matching strategies to compare (default {DEFAULT_STRATEGIES})",
    )
    parser.add_argument(
        "--report",
        metavar="DIR",
        default=DEFAULT_REPORT,
        help=f"where to write report.md and its charts (default {DEFAULT_REPORT}/)",
    )
    parser.add_argument("--keep-db", metavar="DIR", help="keep each strategy's SQLite file in DIR")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument("--serial", action="store_true", help="one strategy after the other")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when infochat's matching misses a target (for CI)",
    )


class Usage(Exception):
    """A bad option: one line for stderr."""


def overrides(args: argparse.Namespace) -> dict[str, str]:
    """`--set` pairs in order, then `--seed/--months/--members` (a later one wins)."""
    found: dict[str, str] = {}
    for pair in args.sets:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise Usage(f"--set takes KEY=VALUE, e.g. --set capacity=2; got {pair!r}")
        found[key.strip()] = value.strip()
    for name in SHORTHANDS:
        given = getattr(args, name)
        if given is None:
            continue
        if not given.strip().isdigit() or (name != "seed" and int(given) < 1):
            raise Usage(f"--{name} takes a whole number (at least 1); got {given!r}")
        found[name] = str(int(given))
    return found


def chosen_strategies(text: str, known: Sequence[str]) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise Usage(f"--strategies: unknown {', '.join(unknown)}; choose from {', '.join(known)}")
    if not names:
        raise Usage(f"--strategies: name at least one of {', '.join(known)}")
    if len(set(names)) < len(names):
        raise Usage("--strategies: each strategy once")
    return names


def run(
    args: argparse.Namespace,
    *,
    engine: Engine | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """`infochat simulate`: its exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        changes = overrides(args)
        config = Path(args.config) if args.config else None
        if config is not None and not config.is_file():
            raise Usage(f"--config: no such file: {config}")
        keep = Path(args.keep_db) if args.keep_db else None
        if keep is not None and keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
            raise Usage(f"--keep-db: {keep} must be a new or empty directory")
        engine = engine or real_engine()
        strategies = chosen_strategies(args.strategies, engine.strategies)
        try:
            scenario = engine.load_scenario(config, changes)
        except engine.scenario_error as exc:
            raise Usage(str(exc)) from None
    except Usage as exc:
        print(f"infochat simulate: {exc}", file=err)
        return EXIT_USAGE
    lines = scenario.describe()
    print("Scenario:", file=out)
    for line in lines:
        print(f"  {line}", file=out)
    print(file=out, flush=True)
    plan = engine.draw(scenario)
    bar = None if args.no_progress else ProgressBar(err, strategies)
    started = time.perf_counter()
    try:
        results = _play(engine, plan, strategies, keep, bar, parallel=not args.serial)
    except KeyboardInterrupt:
        print("\ninfochat simulate: interrupted", file=err)
        return EXIT_INTERRUPTED
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started
    print(table(results), file=out)
    print(file=out)
    print(f"Run time: {_duration(seconds)}", file=out)
    report = write_report(results, lines, seconds, Path(args.report))
    print(f"Report: {_shown(report)}", file=out)
    if keep is not None:
        print(f"SQLite files kept in {_shown(keep)}", file=out)
    misses = missed(results)
    if args.check and misses:
        for miss in misses:
            print(f"infochat simulate: target missed: {miss}", file=err)
        return EXIT_MISSED
    return EXIT_OK


def _play(
    engine: Engine,
    plan: Any,
    strategies: list[str],
    keep: Path | None,
    progress: Progress | None,
    *,
    parallel: bool,
) -> list[StrategyResult]:
    async def play(folder: Path) -> list[StrategyResult]:
        return await engine.simulate(plan, strategies, folder, progress=progress, parallel=parallel)

    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return asyncio.run(play(keep))
    with tempfile.TemporaryDirectory(prefix="infochat-simulate-") as folder:
        return asyncio.run(play(Path(folder)))


class ProgressBar:
    """Each strategy's simulated time, on `stream` (stderr). On a terminal: one line per
    strategy, redrawn in place; otherwise (a log, CI) a line when a strategy enters a new
    simulated month, so a year is a few dozen lines."""

    def __init__(self, stream: TextIO, strategies: Sequence[str], *, width: int = 20) -> None:
        self.stream = stream
        self.names = list(strategies)
        self.width = width
        self.tty = _isatty(stream)
        self.state: dict[str, tuple[int, int]] = {}
        self.shown: dict[str, int] = {}  # the month last logged, -1 when done (not a terminal)
        self.drawn = 0  # lines drawn so far (a terminal)
        self.last: list[str] = []  # what they show
        self.lock = threading.Lock()  # a run may report from another thread
        self.pad = max((len(n) for n in self.names), default=0)

    def __call__(self, strategy: str, done: int, total: int) -> None:
        with self.lock:
            if strategy not in self.names:
                self.names.append(strategy)
                self.pad = max(self.pad, len(strategy))
            self.state[strategy] = (max(0, min(done, total)), max(total, 1))
            if self.tty:
                self._redraw()
            else:
                self._log(strategy)

    def line(self, strategy: str) -> str:
        done, total = self.state.get(
            strategy, (0, max((t for _, t in self.state.values()), default=1))
        )
        filled = self.width * done // total  # full only when done
        bar = "#" * filled + "-" * (self.width - filled)
        months, all_months = _months(done, total)
        return f"{strategy.ljust(self.pad)}  [{bar}] {months}/{all_months} months"

    def _redraw(self) -> None:
        lines = [f"\r{self.line(n)}\x1b[K" for n in self.names]
        if lines == self.last:
            return  # a simulated day that moves no bar draws nothing
        up = f"\x1b[{self.drawn - 1}A" if self.drawn > 1 else ""
        self.stream.write(up + "\n".join(lines))
        self.stream.flush()
        self.drawn, self.last = len(lines), lines

    def _log(self, strategy: str) -> None:
        done, total = self.state[strategy]
        step = _months(done, total)[0] if done < total else -1  # -1: finished
        if self.shown.get(strategy) == step:
            return
        self.shown[strategy] = step
        self.stream.write(self.line(strategy) + ("  done" if step == -1 else "") + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Leave the cursor below the bars."""
        with self.lock:
            if self.tty and self.drawn:
                self.stream.write("\n")
                self.stream.flush()
                self.drawn = 0


def _months(done: int, total: int) -> tuple[int, int]:
    """Simulated days as months: (whole months done, months in all, at least 1); the last
    month is done only when the run is."""
    all_months = max(1, round(total / MONTH_DAYS))
    if done >= total:
        return all_months, all_months
    return min(all_months - 1, int(done / MONTH_DAYS)), all_months


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _shown(path: Path) -> str:
    """A path relative to the current directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)
