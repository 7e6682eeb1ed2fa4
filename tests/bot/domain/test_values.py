from datetime import time

import pytest

from bot.domain.models import Window
from bot.domain.values import parse_format, parse_time_frame, parse_timezone, parse_windows


def test_windows() -> None:
    assert parse_windows("Mon 18:00-20:00") == (Window(0, time(18), time(20)),)
    assert len(parse_windows("Tue-Thu 12-13")) == 3
    assert parse_windows("Fri 22:00-01:00") == (Window(4, time(22), time(1)),)  # crosses midnight
    assert parse_windows("Sat-Mon 9-10")[0].weekday == 0  # wraps round the week
    for bad in ("Mon 25-26", "Someday 9-10", "Mon 9-9", "Mon nine-ten"):
        with pytest.raises(ValueError):  # noqa: PT011 - the message is the input itself
            parse_windows(bad)


def test_a_window_that_ends_before_it_starts_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="ends before it starts") as refused:
        parse_windows("Mon 18:00-17:00")
    assert "23 hours" in str(refused.value) and "17:00-18:00" in str(refused.value)
    with pytest.raises(ValueError, match="same time"):
        parse_windows("Tue 9-9")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Fri 22:00-01:00", "Fri 22:00-01:00 (overnight)"),  # late evening into the night
        ("sat 18-6", "Sat 18:00-06:00 (overnight)"),  # 12 hours: the longest overnight
        ("Fri 22:00-24:00", "Fri 22:00-24:00"),  # to midnight: the same day
        ("Mon 18:00-20:00", "Mon 18:00-20:00"),
    ],
)
def test_overnight_windows_are_shown_as_overnight_and_read_back_the_same(
    typed: str, shown: str
) -> None:
    (window,) = parse_windows(typed)
    assert str(window) == shown
    assert parse_windows(shown) == (window,)


def test_time_frames() -> None:
    assert parse_time_frame("2 weeks") == 14
    assert parse_time_frame("within 10 days") == 10
    assert parse_time_frame("1 month") == 30
    assert parse_time_frame("3w") == 21
    assert parse_time_frame("") == 14
    for bad in ("forever", "0 days", "6 months"):
        with pytest.raises(ValueError):  # noqa: PT011
            parse_time_frame(bad)


def test_timezones_and_formats() -> None:
    assert parse_timezone("Europe/Berlin") == "Europe/Berlin"
    assert parse_timezone("utc") == "UTC"
    for bad in ("Mars/Olympus", "", "../../etc/passwd", "Europe/" + "x" * 80):
        with pytest.raises(ValueError):  # noqa: PT011
            parse_timezone(bad)
    assert parse_format("Zoom") == "video"
    assert parse_format("coffee") == "in person"
    assert parse_format("fax") is None
