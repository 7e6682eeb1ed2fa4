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
