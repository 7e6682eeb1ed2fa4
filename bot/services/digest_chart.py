"""The digest's chart: chats requested vs given per week, as a PNG.

matplotlib is optional (`pip install 'infochat[charts]'`): without it, `weekly_chart` returns
None and the digest goes out without a chart. It draws with the Agg canvas on a standalone
Figure, so no GUI backend and no pyplot global state are involved.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.domain.digest import Week
from bot.views import Attachment

log = logging.getLogger(__name__)


def weekly_chart(weeks: Sequence[Week], timezone: str, filename: str) -> Attachment | None:
    """A PNG bar chart of the weeks, labelled by each week's first day; None without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        log.info("digest: matplotlib is not installed; sending the digest without its chart")
        return None
    zone = ZoneInfo(timezone)
    starts = [w.start.astimezone(zone) for w in weeks]
    labels = [f"{day.day} {day:%b}" for day in starts]
    positions = list(range(len(weeks)))
    figure = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(figure)  # draw with Agg, whatever the default backend
    axes = figure.subplots()
    axes.bar(
        [x - 0.2 for x in positions],
        [w.requested for w in weeks],
        width=0.4,
        label="Chats requested",
        color="#9db4d3",
    )
    axes.bar(
        [x + 0.2 for x in positions],
        [w.given for w in weeks],
        width=0.4,
        label="Chats given",
        color="#2e7d5b",
    )
    axes.set_xticks(positions, labels, rotation=45, ha="right", fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.tick_params(axis="x", length=0)  # labelled bars need no tick marks
    axes.set_title("Chats per week, last 12 weeks")
    axes.legend(frameon=False, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    figure.subplots_adjust(left=0.08, right=0.99, top=0.9, bottom=0.2)  # tight_layout costs a draw
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Attachment(filename=filename, content_type="image/png", data=data)
