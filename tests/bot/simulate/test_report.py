"""The simulation report: the printed table, report.md and the charts, from hand-made results."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.simulate.report import TARGETS, markdown, missed, rows, table, write_report
from bot.simulate.report_charts import CHARTS, charts, waits, weekly
from tests.bot.simulate.results_samples import result, three

PNG = b"\x89PNG\r\n\x1a\n"


def _row(text: str, label: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(label))
    return line[len(label) :].split()


def test_the_targets_are_the_issues() -> None:
    assert [(t.label, t.goal) for t in TARGETS] == [
        ("introduced within 14 days", "≥ 90 %"),
        ("median time to introduction", "≤ 3 d"),
        ("asks past capacity or while paused", "0"),
        ("volunteer load Gini", "≤ 0.35"),
    ]


def test_infochat_comes_first_and_every_strategy_has_a_column() -> None:
    header = rows(three())[0]
    assert header == ["", "infochat", "random", "first-to-claim", "target", "met", "beats both"]
    text = table(three())
    first = text.splitlines()[0].split()
    assert first == ["infochat", "random", "first-to-claim", "target", "met", "beats", "both"]


def test_figures_targets_and_marks_when_infochat_meets_everything() -> None:
    text = table(three())
    assert _row(text, "introduced within 14 days") == [
        "95.0", "%", "(95/100)", "70.0", "%", "(70/100)", "80.0", "%", "(80/100)",
        "≥", "90", "%", "✔", "✔",
    ]  # fmt: skip
    assert _row(text, "median time to introduction") == [
        "1.5", "d", "(p90", "4.5", "d)", "4.0", "d", "(p90", "12.0", "d)", "2.0", "d", "(p90",
        "6.0", "d)", "≤", "3", "d", "✔", "✔",
    ]  # fmt: skip
    assert _row(text, "asks past capacity or while paused") == ["0", "0", "0", "0", "✔", "✔"]
    assert _row(text, "volunteer load Gini") == ["0.25", "0.41", "0.60", "≤", "0.35", "✔", "✔"]
    assert _row(text, "volunteers at capacity") == [*["10", "of", "20"] * 3, "—", "—", "—"]
    assert _row(text, "closed with nobody to ask") == ["6", "6", "6", "—", "—", "—"]
    assert _row(text, "introductions without a common window")[:3] == ["12", "of", "90"]
    assert _row(text, "asks answered or lapsed")[:4] == ["192", "(52", "%", "accepted)"]
    for label in ("chats confirmed", "thanked", "requests sent", "introduced"):
        assert _row(text, label)
    assert missed(three()) == []


def test_missed_targets_and_unbeaten_baselines_are_marked() -> None:
    results = [
        result("infochat", in_time=85, median_days=3.5, gini=0.5, past_capacity=1, paused=2),
        result("random", in_time=90, median_days=3.0, gini=0.3),
        result("first-to-claim", in_time=80, median_days=4.0, gini=0.6),
    ]
    text = table(results)
    assert _row(text, "introduced within 14 days")[-3:] == ["✘", "✘", "random"]
    assert _row(text, "median time to introduction")[-3:] == ["✘", "✘", "random"]
    assert _row(text, "asks past capacity or while paused")[:6] == [
        "3", "(1", "past", "capacity,", "2", "paused)",
    ]  # fmt: skip
    assert _row(text, "asks past capacity or while paused")[-4:] == [
        "✘", "✘", "random,", "first-to-claim",
    ]  # fmt: skip
    assert _row(text, "volunteer load Gini")[-3:] == ["✘", "✘", "random"]
    assert missed(results) == [
        "introduced within 14 days: 85.0 % (85/100), target ≥ 90 %",
        "introduced within 14 days: not better than random",
        "median time to introduction: 3.5 d (p90 10.5 d), target ≤ 3 d",
        "median time to introduction: not better than random",
        "asks past capacity or while paused: 3 (1 past capacity, 2 paused), target 0",
        "asks past capacity or while paused: not better than random",
        "asks past capacity or while paused: not better than first-to-claim",
        "volunteer load Gini: 0.50, target ≤ 0.35",
        "volunteer load Gini: not better than random",
    ]


def test_a_tie_does_not_beat_a_baseline_except_at_zero() -> None:
    results = [result("infochat"), result("random")]
    text = table(results)
    assert _row(text, "introduced within 14 days")[-3:] == ["✔", "✘", "random"]
    assert _row(text, "asks past capacity or while paused")[-2:] == ["✔", "✔"]


def test_missing_figures_are_dashes_and_never_meet_a_target() -> None:
    results = [result("infochat", in_time=0, well_formed=0, median_days=None, gini=None)]
    text = table(results)
    assert _row(text, "introduced within 14 days") == ["—", "≥", "90", "%", "✘", "—"]
    assert _row(text, "median time to introduction") == ["—", "≤", "3", "d", "✘", "—"]
    assert _row(text, "volunteer load Gini") == ["—", "≤", "0.35", "✘", "—"]
    with_baseline = table([*results, result("random")])
    assert _row(with_baseline, "volunteer load Gini") == [
        "—",
        "0.25",
        "≤",
        "0.35",
        "✘",
        "✘",
        "random",
    ]


def test_without_infochat_there_are_no_marks() -> None:
    text = table([result("random"), result("first-to-claim")])
    assert text.splitlines()[0].split()[:2] == ["random", "first-to-claim"]
    assert _row(text, "volunteer load Gini")[-3:] == ["0.35", "—", "—"]
    assert missed([result("random")]) == ["infochat's matching was not simulated"]


def test_the_same_results_give_the_same_text_whatever_the_wall_time() -> None:
    assert table(three()) == table(three())
    slower = [replace(r, seconds=r.seconds * 10, commands=r.commands + 1) for r in three()]
    assert table(slower) == table(three())
    other = [replace(r, asks_while_paused=1) for r in three()]
    assert table(other) != table(three())


def test_the_markdown_report_has_the_scenario_table_targets_topics_and_charts() -> None:
    text = markdown(three(), ["5,000 members, 300 volunteers", "12 months from 2026-01-05"], 312)
    assert "- 5,000 members, 300 volunteers" in text
    assert "Run time: 5 min 12 s" in text
    assert "| measure | infochat | random | first-to-claim | target | met | beats both |" in text
    assert "| introduced within 14 days | 95.0 % (95/100) | 70.0 % (70/100) |" in text
    for target in TARGETS:
        assert f"**{target.label}** ({target.goal})" in text
    assert "- **infochat**: product design (4), ux research (2)" in text
    for chart in CHARTS:
        assert f"]({chart.name})" in text
    assert "infochat's matching meets every target." in text


def test_the_markdown_report_says_when_there_are_no_charts() -> None:
    text = markdown(three(), ["a scenario"], 1.5, chart_files=[])
    assert "No charts: they need matplotlib" in text
    assert ".png)" not in text
    assert "Run time: 1.5 s" in text


def test_the_weekly_funnel_counts_each_event_in_its_week() -> None:
    sent, introduced, chats = weekly(result("infochat"))
    assert sum(sent) == 56
    assert sum(introduced) == 49  # one in eight never introduced
    assert sum(chats) == 49
    assert len(sent) == len(introduced) == len(chats) >= 8
    assert sent[:8] == [7] * 8


def test_waits_are_sorted_days_of_well_formed_requests() -> None:
    days, total = waits(result("infochat"))
    assert total == len([r for r in result("infochat").requests if r.well_formed])
    assert days == sorted(days)
    assert days[0] == 0.5


def test_charts_are_written_as_pngs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    paths = charts(three(), tmp_path / "out")
    assert [p.name for p in paths] == [c.name for c in CHARTS]
    for path in paths:
        assert path.read_bytes()[:8] == PNG


def test_charts_of_one_strategy_without_requests(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    empty = replace(result("infochat"), requests=())
    assert len(charts([empty], tmp_path)) == 3


def test_write_report_writes_the_markdown_and_the_charts(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = write_report(three(), ["a scenario"], 42.0, tmp_path / "report")
    assert path == tmp_path / "report" / "report.md"
    text = path.read_text(encoding="utf-8")
    for chart in CHARTS:
        assert (tmp_path / "report" / chart.name).read_bytes()[:8] == PNG
        assert f"]({chart.name})" in text


def test_without_matplotlib_the_report_has_a_note_and_no_charts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    assert charts(three(), tmp_path) == []
    path = write_report(three(), ["a scenario"], 42.0, tmp_path)
    assert "No charts" in path.read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*.png"))


def test_figures_are_judged_as_printed() -> None:
    results = [
        result("infochat", in_time=8999, well_formed=10000, median_days=1.61),
        result("random", in_time=8000, well_formed=10000, median_days=1.64),
    ]
    text = table(results)
    assert _row(text, "introduced within 14 days")[:3] == ["90.0", "%", "(8999/10000)"]
    assert _row(text, "introduced within 14 days")[-2:] == ["✔", "✔"]
    assert _row(text, "median time to introduction")[:2] == ["1.6", "d"]
    assert _row(text, "median time to introduction")[-3:] == ["✔", "✘", "random"]
