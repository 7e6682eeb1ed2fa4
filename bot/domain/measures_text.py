"""Program health in words a moderator reads in a minute: what needs attention first, then
the period's figures. Pure: the measures in, lines out (no names: there are none in them)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.measures import Durations, Measures

TARGET_IN_TIME = 0.9  # well-formed requests introduced within 14 days
SILENCE_ALERT = 0.25  # asks left unanswered
GINI_ALERT = 0.35  # volunteers' load uneven
TOPICS_NAMED = 3  # topics with nobody to ask named one by one; the rest are counted


def describe(m: Measures) -> list[str]:
    """Lines for a moderator: "Needs attention first" (or that nothing does), then the
    figures of the period."""
    attention = needs_attention(m)
    lines = ["Needs attention first:", *(f"• {item}" for item in attention)]
    if not attention:
        lines = ["Nothing needs attention first."]
    return [*lines, *figures(m)]


def needs_attention(m: Measures) -> list[str]:
    items = []
    for topic, n in m.nobody_to_ask[:TOPICS_NAMED]:
        items.append(
            f"{_count(n, 'request')} about {topic} closed with nobody to ask: "
            f"recruit volunteers for {topic}."
        )
    rest = m.nobody_to_ask[TOPICS_NAMED:]
    if rest:
        n = sum(count for _, count in rest)
        items.append(
            f"{_count(n, 'more request')} in {_count(len(rest), 'other topic')} "
            "closed with nobody to ask."
        )
    in_time = m.in_time_share
    if in_time is not None and in_time < TARGET_IN_TIME:
        items.append(
            f"Only {_percent(in_time)} of well-formed requests were introduced within 14 days "
            f"({m.well_formed_in_time} of {m.well_formed}; the aim is {_percent(TARGET_IN_TIME)})."
        )
    silence = m.asks.silence
    if silence is not None and silence >= SILENCE_ALERT:
        items.append(f"{_percent(silence)} of asks went unanswered until they expired.")
    if m.load.at_capacity:
        who = _count(m.load.at_capacity, "volunteer")
        verb = "was" if m.load.at_capacity == 1 else "were"
        items.append(f"{who} {verb} at their monthly capacity: more volunteers would help.")
    if m.load.gini is not None and m.load.gini > GINI_ALERT:
        items.append(
            f"Introductions are unevenly spread (load Gini {m.load.gini:.2f}): "
            "a few volunteers carry most of them."
        )
    if m.no_common_window:
        items.append(
            f"{_count(m.no_common_window, 'introduction')} had no common time in both "
            "people's weekly windows."
        )
    return items


def figures(m: Measures) -> list[str]:
    f = m.funnel
    lines = []
    if f.sent:
        lines.append(
            f"Requests: {f.sent} sent → {f.asked} asked → {f.accepted} accepted → "
            f"{f.introduced} introduced → {f.chatted} chatted → {f.thanked} thanked."
        )
    else:
        lines.append("Requests: none sent in this period.")
    a = m.asks
    if a.total:
        suggested = ""
        if a.suggested:
            suggested = f", {_percent(a.suggested / a.total)} suggested a colleague"
        lines.append(
            f"Asks: {_percent(a.acceptance)} accepted, {_percent(a.decline)} declined, "
            f"{_percent(a.not_now_rate)} not right now, {_percent(a.silence)} unanswered"
            f"{suggested} (of {a.total} answered or expired)."
        )
    timings = [
        (label, d)
        for label, d in (
            ("first ask", m.to_first_ask),
            ("introduction", m.to_introduction),
            ("chat", m.to_chat),
        )
        if d.count
    ]
    if timings:
        lines.append("From request to " + "; to ".join(_timing(k, d) for k, d in timings) + ".")
    if m.well_formed or m.well_formed_pending:
        line = f"Well-formed requests introduced within 14 days: {m.well_formed_in_time} of "
        line += f"{m.well_formed} ({_percent(m.in_time_share)})"
        if m.well_formed_pending:
            line += f"; {m.well_formed_pending} more still within their 14 days"
        lines.append(line + ".")
    load = m.load
    if load.volunteers:
        per = f"{load.chats_per_volunteer:.1f}" if load.chats_per_volunteer is not None else "—"
        gini = f"{load.gini:.2f}" if load.gini is not None else "—"
        lines.append(
            f"Volunteers: {load.volunteers}, {per} chats each, load Gini {gini}, "
            f"{load.at_capacity} at capacity, {load.never_asked} never asked."
        )
    else:
        lines.append("Volunteers: none yet.")
    if m.helped:
        lines.append(
            f"Paid forward: {m.paid_forward} of {_count(m.helped, 'member')} helped went on to "
            f"help someone ({_percent(m.pay_it_forward)})."
        )
    if m.windows_checked:
        lines.append(
            f"Common time: {m.windows_checked - m.no_common_window} of "
            f"{_count(m.windows_checked, 'introduction')} had a time in both people's windows."
        )
    return lines


def _timing(step: str, d: Durations) -> str:
    median = duration(d.median) if d.median is not None else "—"
    p90 = duration(d.p90) if d.p90 is not None else "—"
    return f"{step}: median {median}, 90% within {p90}"


def duration(span: timedelta) -> str:
    """A span as a moderator reads it: minutes, hours or days, rounded."""
    minutes = span.total_seconds() / 60
    if minutes < 90:
        return _count(round(minutes), "minute")
    hours = minutes / 60
    if hours < 36:
        return _count(round(hours), "hour")
    days = hours / 24
    return f"{days:.1f} days" if days < 10 else _count(round(days), "day")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
