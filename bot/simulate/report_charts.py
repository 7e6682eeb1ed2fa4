"""The simulation report's charts, as PNG files: the weekly funnel, volunteers' load against
their capacity, and how long requests waited for an introduction, one line or panel per
strategy.

matplotlib is optional (the `charts` extra): without it `charts` draws nothing and the report
says so. Each chart is a standalone Figure drawn with the Agg canvas, as the digest's chart
is: no GUI backend and no pyplot global state.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain.measures import WITHIN
from bot.simulate.results import StrategyResult

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
MONTH_DAYS = 365.25 / 12
TARGET_DAYS = 3  # the median's target, drawn beside the 14 days
COLOURS = ("#2e7d5b", "#c0504d", "#4f81bd", "#8064a2", "#f79646")


@dataclass(frozen=True)
class Chart:
    name: str  # the PNG's file name in the report folder
    title: str


FUNNEL = Chart("weekly-funnel.png", "Requests sent, introduced and chats per week")
LOAD = Chart("volunteer-load.png", "Introductions per volunteer against their capacity")
WAIT = Chart("time-to-introduction.png", "Time from request to introduction")
CHARTS = (FUNNEL, LOAD, WAIT)


def charts(results: Sequence[StrategyResult], folder: Path) -> list[Path]:
    """The three charts written into `folder`, in `CHARTS`' order; [] without matplotlib or
    results."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        log.info("simulate: matplotlib is not installed; the report has no charts")
        return []
    if not results:
        return []
    results = sorted(results, key=lambda r: r.strategy != "infochat")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for chart, draw in ((FUNNEL, _funnel), (LOAD, _load), (WAIT, _wait)):
        panels = len(results) if chart is not WAIT else 1
        figure = Figure(figsize=(9, 1.2 + 2.4 * panels), dpi=100)
        FigureCanvasAgg(figure)  # draw with Agg, whatever the default backend
        axes = figure.subplots(panels, 1, squeeze=False)[:, 0]
        draw(results, list(axes))
        figure.suptitle(chart.title)
        figure.tight_layout()
        path = folder / chart.name
        figure.savefig(path, format="png")
        written.append(path)
    return written


def weekly(result: StrategyResult) -> tuple[list[int], list[int], list[int]]:
    """Requests sent, introduced and chats that happened per week from the period's start:
    each event in the week it happened (the last requests' introductions may fall after the
    period's end)."""
    start = result.measures.start
    events = [(r.submitted_at, r.introduced_at, r.chat_at) for r in result.requests]
    last = max(
        [result.measures.end - timedelta(microseconds=1)]
        + [t for triple in events for t in triple if t is not None]
    )
    weeks = _week(start, last) + 1
    counts: tuple[Counter[int], Counter[int], Counter[int]] = (Counter(), Counter(), Counter())
    for triple in events:
        for counter, at in zip(counts, triple, strict=True):
            if at is not None:
                counter[_week(start, at)] += 1
    sent, introduced, chats = ([c[w] for w in range(weeks)] for c in counts)
    return sent, introduced, chats


def _week(start: datetime, at: datetime) -> int:
    return max(0, (at - start) // WEEK)


def _funnel(results: Sequence[StrategyResult], axes: list[Any]) -> None:
    for r, ax in zip(results, axes, strict=True):
        sent, introduced, chats = weekly(r)
        weeks = list(range(1, len(sent) + 1))
        ax.plot(weeks, sent, label="requests sent", color="#9db4d3")
        ax.plot(weeks, introduced, label="introduced", color="#2e7d5b")
        ax.plot(weeks, chats, label="chats", color="#c0504d")
        ax.set_title(r.strategy, fontsize=9, loc="left")
        ax.set_ylabel("per week", fontsize=8)
        _tidy(ax)
    axes[-1].set_xlabel("week", fontsize=8)
    axes[0].legend(frameon=False, fontsize=8, loc="upper right")


def _load(results: Sequence[StrategyResult], axes: list[Any]) -> None:
    for r, ax in zip(results, axes, strict=True):
        months = max((r.measures.end - r.measures.start).days / MONTH_DAYS, 1 / MONTH_DAYS)
        each = sorted(
            r.measures.load.each,
            key=lambda v: (-v.introductions, -(v.monthly_capacity or 0), v.member_id),
        )
        xs = list(range(1, len(each) + 1))
        capacity = [
            math.nan if v.monthly_capacity is None else v.monthly_capacity * months for v in each
        ]
        ax.fill_between(
            xs, capacity, step="mid", color="#cccccc", alpha=0.6, label="capacity over the period"
        )
        ax.fill_between(
            xs, [v.introductions for v in each], step="mid", color="#2e7d5b", alpha=0.9,
            label="introductions",
        )  # fmt: skip
        ax.set_title(
            f"{r.strategy}: {r.measures.load.at_capacity} of {len(each)} reached a month's "
            "capacity",
            fontsize=9,
            loc="left",
        )
        ax.set_ylabel("introductions", fontsize=8)
        _tidy(ax)
    axes[-1].set_xlabel("volunteers, busiest first", fontsize=8)
    axes[0].legend(frameon=False, fontsize=8, loc="upper right")


def waits(result: StrategyResult) -> tuple[list[float], int]:
    """Days from sending to introduction of the well-formed requests that were introduced,
    sorted, and how many well-formed requests there were."""
    formed = [r for r in result.requests if r.well_formed]
    days = sorted(
        (r.introduced_at - r.submitted_at).total_seconds() / 86400
        for r in formed
        if r.introduced_at is not None
    )
    return days, len(formed)


def _wait(results: Sequence[StrategyResult], axes: list[Any]) -> None:
    ax = axes[0]
    horizon = WITHIN.days * 2
    for n, r in enumerate(results):
        days, total = waits(r)
        if not total:
            continue
        xs = [0.0, *(min(d, horizon) for d in days), horizon]
        ys = [0.0, *((i + 1) / total for i in range(len(days))), len(days) / total]
        ax.step(xs, ys, where="post", label=r.strategy, color=COLOURS[n % len(COLOURS)])
    for day, text in ((TARGET_DAYS, "3 days"), (WITHIN.days, "14 days")):
        ax.axvline(day, color="#999999", linestyle="--", linewidth=0.8)
        ax.text(day, 0.02, f" {text}", fontsize=8, color="#666666")
    ax.axhline(0.9, color="#999999", linestyle=":", linewidth=0.8)
    ax.set_xlim(0, horizon)
    ax.set_ylim(0, 1)
    ax.set_xlabel("days from request to introduction", fontsize=8)
    ax.set_ylabel("share of well-formed requests", fontsize=8)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    _tidy(ax)


def _tidy(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
