"""The health chart: the weekly funnel over the period, and volunteers' load against their
capacity, as one PNG.

matplotlib is optional (`pip install 'infochat[charts]'`): without it, `health_chart` returns
None and the report goes out without its chart. It draws with the Agg canvas on a standalone
Figure (no GUI backend, no pyplot global state); call it off the event loop.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.health import FunnelWeek
from bot.domain.measures import VolunteerLoad
from bot.views import Attachment

log = logging.getLogger(__name__)

MONTH = timedelta(days=365.25 / 12)
STEPS = (
    ("sent", "Sent", "#9db4d3"),
    ("asked", "Asked", "#5b8cc4"),
    ("introduced", "Introduced", "#2e7d5b"),
    ("chatted", "Chatted", "#c47d2e"),
)
# Legends go between a panel's title and its plot, where they hide no data.
LEGEND: dict[str, Any] = {
    "frameon": False,
    "fontsize": 8,
    "loc": "lower left",
    "bbox_to_anchor": (0, 1),
    "borderaxespad": 0.2,
}


def capacity_for(load: VolunteerLoad, period: timedelta) -> float | None:
    """A volunteer's capacity over the period (their monthly capacity, pro rata)."""
    if load.monthly_capacity is None:
        return None
    return load.monthly_capacity * (period / MONTH)


def health_chart(
    weeks: Sequence[FunnelWeek],
    loads: Sequence[VolunteerLoad],
    period: timedelta,
    timezone: str,
    filename: str,
) -> Attachment | None:
    """Two panels: requests sent each week and how far they got; each volunteer's
    introductions in the period (busiest first, nobody named) against their capacity."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        log.info("health: matplotlib is not installed; sending the report without its chart")
        return None
    zone = ZoneInfo(timezone)
    figure = Figure(figsize=(8, 6.4), dpi=100)
    FigureCanvasAgg(figure)
    funnel, load = figure.subplots(2, 1)
    positions = list(range(len(weeks)))
    for step, label, colour in STEPS:
        funnel.plot(
            positions,
            [getattr(w, step) for w in weeks],
            marker="o" if len(weeks) <= 12 else None,
            label=label,
            color=colour,
        )
    every = max(1, len(weeks) // 12)
    ticks = positions[::every]
    starts = [weeks[i].start.astimezone(zone) for i in ticks]
    funnel.set_xticks(ticks, [f"{d.day} {d:%b}" for d in starts], fontsize=8)
    funnel.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    funnel.set_title("Requests sent each week, and how far they got", fontsize=10, pad=22)
    funnel.legend(**LEGEND, ncols=4)
    ranked = sorted(loads, key=lambda v: (-v.introductions, v.member_id))
    ranks = list(range(1, len(ranked) + 1))
    load.bar(ranks, [v.introductions for v in ranked], color="#2e7d5b", label="Introductions")
    capacities = [(r, capacity_for(v, period)) for r, v in zip(ranks, ranked, strict=True)]
    shown = [(r, c) for r, c in capacities if c is not None]
    if shown:
        load.scatter(
            [r for r, _ in shown],
            [c for _, c in shown],
            marker="_",
            s=120 if len(ranked) <= 40 else 20,
            color="#b03a2e",
            label="Capacity for the period",
        )
    load.set_xlabel("Volunteers, busiest first", fontsize=8)
    load.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    load.set_title("Volunteers' load against capacity", fontsize=10, pad=22)
    load.legend(**LEGEND, ncols=2)
    for axes in (funnel, load):
        axes.spines[["top", "right"]].set_visible(False)
        axes.tick_params(labelsize=8)
    figure.subplots_adjust(left=0.08, right=0.99, top=0.92, bottom=0.08, hspace=0.45)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Attachment(filename=filename, content_type="image/png", data=data)
