"""What a simulation found, side by side per strategy: the plain-text table `infochat
simulate` prints, and the report folder (`report.md` and its charts, `report_charts`).

The table is a pure function of the results, so the same seed gives the same text: wall
times are printed beside it, never inside it. infochat's figures are marked against the
issue's targets and against the baselines (every other strategy run beside it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.domain.measures import Durations
from bot.simulate.report_charts import CHARTS, charts
from bot.simulate.results import StrategyResult

__all__ = [
    "TARGETS",
    "Target",
    "charts",
    "markdown",
    "markdown_table",
    "missed",
    "ordered",
    "rows",
    "table",
    "write_report",
]

OURS = "infochat"  # the strategy the targets are about; every other one is a baseline
MET, MISSED, NONE = "✔", "✘", "—"
REPORT_FILE = "report.md"


@dataclass(frozen=True)
class Target:
    """One of the issue's targets for infochat's matching: a figure, the bound it must keep,
    and which way is better (to compare with the baselines). Figures are judged as printed
    (rounded to `digits` in the unit shown), so a mark never contradicts the table."""

    label: str  # the row it marks
    goal: str  # as printed in the target column
    meaning: str  # what it says about the program, for the report
    figure: Callable[[StrategyResult], float | None]
    met: Callable[[float], bool]
    lower_is_better: bool
    digits: int  # decimals printed: 85.04 % and 85.0 % are the same figure
    # Whether beating a baseline takes a strictly better figure. Not for a must-be-zero
    # count: there, matching a baseline's 0 is as good as it gets.
    strict: bool = True


def _median_days(r: StrategyResult) -> float | None:
    return _days(r.measures.to_introduction.median)


def _violations(r: StrategyResult) -> float:
    return float(r.asks_past_capacity + r.asks_while_paused)


TARGETS: tuple[Target, ...] = (
    Target(
        "introduced within 14 days",
        "≥ 90 %",
        "Of the well-formed requests sent in the period, the share introduced to a volunteer "
        "who said yes within 14 days of being sent (requests younger than 14 days and still "
        "open at the end are left out).",
        lambda r: _percent(r.measures.in_time_share),
        lambda percent: percent >= 90,
        lower_is_better=False,
        digits=1,
    ),
    Target(
        "median time to introduction",
        "≤ 3 d",
        "Half the introduced requests were introduced within this time of being sent "
        "(p90: nine in ten).",
        _median_days,
        lambda days: days <= 3,
        lower_is_better=True,
        digits=1,
    ),
    Target(
        "asks past capacity or while paused",
        "0",
        "Asks that reached a volunteer who had reached their monthly capacity or had paused, "
        "counted by the simulator against each volunteer's plan: a broken promise, never allowed.",
        _violations,
        lambda count: count == 0,
        lower_is_better=True,
        digits=0,
        strict=False,
    ),
    Target(
        "volunteer load Gini",
        "≤ 0.35",
        "How unevenly introductions are spread over the active volunteers: 0 when everyone "
        "carries the same load, towards 1 when a few carry it all (volunteers never asked count).",
        lambda r: r.measures.load.gini,
        lambda gini: gini <= 0.35,
        lower_is_better=True,
        digits=2,
    ),
)


def ordered(results: Sequence[StrategyResult]) -> list[StrategyResult]:
    """infochat first, then the others in the order they were run."""
    return sorted(results, key=lambda r: r.strategy != OURS)


def printed(target: Target, result: StrategyResult) -> float | None:
    """The target's figure for a result, as the table prints it."""
    value = target.figure(result)
    return None if value is None else round(value, target.digits)


def met(target: Target, result: StrategyResult) -> bool:
    value = printed(target, result)
    return value is not None and target.met(value)


def beaten(target: Target, ours: StrategyResult, baselines: Sequence[StrategyResult]) -> list[str]:
    """The baselines infochat does not beat on this target (a missing figure of ours loses,
    a missing one of theirs is beaten)."""
    mine = printed(target, ours)
    not_beaten = []
    for other in baselines:
        theirs = printed(target, other)
        if mine is None:
            not_beaten.append(other.strategy)
        elif theirs is None:
            continue
        else:
            diff = theirs - mine if target.lower_is_better else mine - theirs
            if diff < 0 or (target.strict and diff == 0):
                not_beaten.append(other.strategy)
    return not_beaten


def missed(results: Sequence[StrategyResult]) -> list[str]:
    """Each infochat target missed, in words (empty when all are met): the figure's bound, and
    being better than every baseline run beside it. Also the simulator's invariant."""
    ours = [r for r in results if r.strategy == OURS]
    if not ours:
        return ["infochat's matching was not simulated"]
    baselines = [r for r in results if r.strategy != OURS]
    misses = []
    for target in TARGETS:
        if not met(target, ours[0]):
            misses.append(f"{target.label}: {_figure(target, ours[0])}, target {target.goal}")
        for name in beaten(target, ours[0], baselines):
            misses.append(f"{target.label}: not better than {name}")
    if ours[0].introductions_without_accept:
        misses.append(f"{_INVARIANT}: {ours[0].introductions_without_accept}, must be 0")
    return misses


def _figure(target: Target, result: StrategyResult) -> str:
    return _MEASURES[target.label](result)


# One row: the measure, each strategy's figure, then the target column and infochat's marks.
Row = list[str]


def rows(results: Sequence[StrategyResult]) -> list[Row]:
    """The table as cells: a header row, then one row per measure."""
    results = ordered(results)
    header = ["", *(r.strategy for r in results), "target", "met", "beats both"]
    return [header, *(_row(label, results) for label in _LABELS)]


def _row(label: str, results: Sequence[StrategyResult]) -> Row:
    cells = [label, *(_MEASURES[label](r) for r in results)]
    target = next((t for t in TARGETS if t.label == label), None)
    ours = next((r for r in results if r.strategy == OURS), None)
    if target is not None:
        if ours is None:
            return [*cells, target.goal, NONE, NONE]
        baselines = [r for r in results if r.strategy != OURS]
        not_beaten = beaten(target, ours, baselines)
        beats = MET if not not_beaten else f"{MISSED} {', '.join(not_beaten)}"
        return [*cells, target.goal, _mark(met(target, ours)), beats if baselines else NONE]
    if label == _INVARIANT:
        mark = NONE if ours is None else _mark(not ours.introductions_without_accept)
        return [*cells, "0", mark, NONE]
    return [*cells, NONE, NONE, NONE]


def _mark(ok: bool) -> str:
    return MET if ok else MISSED


def table(results: Sequence[StrategyResult]) -> str:
    """The plain-text table: strategies as columns (infochat first), aligned in spaces."""
    grid = rows(results)
    widths = [max(len(row[i]) for row in grid) for i in range(len(grid[0]))]
    lines = []
    for n, row in enumerate(grid):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: Sequence[StrategyResult]) -> str:
    grid = rows(results)
    grid[0][0] = "measure"
    cells = [[c.replace("|", "\\|") for c in row] for row in grid]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "|".join("---" for _ in cells[0]) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
    return "\n".join(lines)


def markdown(
    results: Sequence[StrategyResult],
    scenario_lines: Sequence[str],
    seconds: float,
    *,
    chart_files: Sequence[Path] | None = None,
) -> str:
    """The report: the scenario, the table, what each target means, where demand found no
    volunteers, and the charts (`chart_files`: those written; None: the usual names; empty:
    none could be drawn)."""
    results = ordered(results)
    names = [c.name for c in CHARTS] if chart_files is None else [p.name for p in chart_files]
    out = ["# A simulated community year", "", "## Scenario", ""]
    out += [f"- {line}" for line in scenario_lines]
    out += ["", f"Strategies: {', '.join(r.strategy for r in results)}.", ""]
    out += [f"Run time: {_seconds(seconds)} ({_each_run(results)}).", ""]
    out += ["## Results", "", markdown_table(results), ""]
    misses = missed(results)
    out.append(
        "infochat's matching meets every target."
        if not misses
        else "Missed: " + "; ".join(misses) + "."
    )
    out += ["", "## Targets", ""]
    out += [f"- **{t.label}** ({t.goal}): {t.meaning}" for t in TARGETS]
    out += [
        "- **Better than both baselines on each**: the `beats both` column; a baseline it "
        "doesn't beat is named. On a count that must be 0, matching a baseline's 0 counts.",
        "",
        "The baselines are the simple rules hosted peers use, plugged into the same core with "
        "the same hard rules (capacity, pauses, cool-downs): `random` asks a random volunteer "
        "who lists the topic; `first-to-claim` asks the volunteer with the topic who answers "
        "fastest first, as if the request were posted and the first to answer took it.",
        "",
        "## Requests closed with nobody to ask",
        "",
        "Demand without supply: the topics to recruit volunteers for.",
        "",
    ]
    for r in results:
        top = r.measures.nobody_to_ask[:5]
        listed = ", ".join(f"{topic} ({n})" for topic, n in top) if top else "none"
        out.append(f"- **{r.strategy}**: {listed}")
    out += ["", "## Charts", ""]
    if names:
        titles = {c.name: c.title for c in CHARTS}
        for n in names:
            out += [f"![{titles.get(n, n)}]({n})", ""]
    else:
        out.append(
            "No charts: they need matplotlib (`pip install 'infochat[charts]'`, which `make` "
            "installs)."
        )
    return "\n".join(out).rstrip() + "\n"


def write_report(
    results: Sequence[StrategyResult],
    scenario_lines: Sequence[str],
    seconds: float,
    folder: Path,
) -> Path:
    """`report.md` and the charts in `folder` (created if needed); the report's path."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn = charts(results, folder)
    path = folder / REPORT_FILE
    text = markdown(results, scenario_lines, seconds, chart_files=drawn)
    path.write_text(text, encoding="utf-8")
    return path


def _each_run(results: Sequence[StrategyResult]) -> str:
    return "; ".join(
        f"{r.strategy} {_seconds(r.seconds)}: {r.commands:,} commands, {r.jobs:,} jobs"
        for r in results
    )


def _seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def _days(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds() / 86400


def _share(part: int, whole: int, share: float | None) -> str:
    return NONE if share is None else f"{share * 100:.1f} % ({part}/{whole})"  # digits=1


def _durations(d: Durations) -> str:
    median, p90 = _days(d.median), _days(d.p90)
    if median is None or p90 is None:
        return NONE
    return f"{median:.1f} d (p90 {p90:.1f} d)"


def _violations_text(r: StrategyResult) -> str:
    total = r.asks_past_capacity + r.asks_while_paused
    if not total:
        return "0"
    return f"{total} ({r.asks_past_capacity} past capacity, {r.asks_while_paused} paused)"


def _of(part: int, whole: int) -> str:
    return f"{part} of {whole}"


def _asks(r: StrategyResult) -> str:
    asks = r.measures.asks
    rate = asks.acceptance
    return str(asks.total) if rate is None else f"{asks.total} ({rate * 100:.0f} % accepted)"


def _gini(r: StrategyResult) -> str:
    gini = r.measures.load.gini
    return NONE if gini is None else f"{gini:.2f}"


# Each row's label → one strategy's figure, as printed. The first four are the targets'.
_INVARIANT = "introductions without an accept"  # must be 0: the simulator's own check
_MEASURES: dict[str, Callable[[StrategyResult], str]] = {
    "introduced within 14 days": lambda r: _share(
        r.measures.well_formed_in_time, r.measures.well_formed, r.measures.in_time_share
    ),
    "median time to introduction": lambda r: _durations(r.measures.to_introduction),
    "asks past capacity or while paused": _violations_text,
    "volunteer load Gini": _gini,
    "volunteers at capacity": lambda r: _of(
        r.measures.load.at_capacity, r.measures.load.volunteers
    ),
    "closed with nobody to ask": lambda r: str(sum(n for _, n in r.measures.nobody_to_ask)),
    "introductions without a common window": lambda r: _of(
        r.measures.no_common_window, r.measures.windows_checked
    ),
    "requests sent": lambda r: str(r.measures.funnel.sent),
    "asks answered or lapsed": _asks,
    "introduced": lambda r: _of(r.measures.funnel.introduced, r.measures.funnel.sent),
    "chats confirmed": lambda r: str(r.measures.funnel.chatted),
    "thanked": lambda r: str(r.measures.funnel.thanked),
    _INVARIANT: lambda r: str(r.introductions_without_accept),
}
_LABELS = tuple(_MEASURES)
