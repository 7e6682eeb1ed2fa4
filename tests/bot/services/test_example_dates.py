"""Examples in help texts and refusals never show a date that is already past: a date is
computed from the clock, or the format is described (`until=YYYY-MM-DD`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from adapters.console.guide import guide
from bot.domain.community import CommunitySettings
from tests.support import GOOD_REQUEST, join_all, make_world, text_of

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ROOT = Path(__file__).parents[3]
TODAY = date(2031, 6, 2)  # a Monday, years after anything written into the code


def past_dates(text: str) -> list[str]:
    return [d for d in ISO_DATE.findall(text) if date.fromisoformat(d) < TODAY]


async def test_help_and_refusals_show_no_date_in_the_past(tmp_path: Path) -> None:
    world = await make_world(tmp_path / "dates.db")
    try:
        world.clock.set(datetime(2031, 6, 2, 9, tzinfo=UTC))
        await join_all(world, ("priya",))
        texts = [guide(CommunitySettings())]
        for command in (
            "/infochat help",
            "/infochat volunteer",
            "/infochat volunteer pause until=someday",
            "/infochat volunteer pause until=2031-13-01",
        ):
            reply = await world.say("priya", command)
            texts += [text_of(m) for m in reply.messages] + list(reply.field_errors.values())
        suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
        await world.press("sam", suggestions.buttons[0])
        ask = world.last_with_buttons("priya")
        for button in ask.buttons:
            for field in button.form.fields if button.form else ():
                texts += [field.label, field.placeholder or "", str(field.default or "")]
        refused = await world.press("priya", ask.buttons[1], until="next week")
        assert not refused.ok
        texts += [text_of(m) for m in refused.messages]
        assert [d for text in texts for d in past_dates(text)] == []
        # The example in the refusal is a real date: the default pause, two weeks from today.
        assert "e.g. 2031-06-16" in text_of(refused.messages[0])
    finally:
        await world.db.dispose()


def test_no_fixed_dates_in_the_readme_the_docs_or_the_code() -> None:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.*"))]
    files += sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "adapters").rglob("*.py"))
    found = {
        str(path.relative_to(ROOT)): dates
        for path in files
        if (dates := ISO_DATE.findall(path.read_text(encoding="utf-8")))
    }
    assert found == {}
