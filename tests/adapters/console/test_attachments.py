"""The console writes attachments (a calendar invite) to files and prints where."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from icalendar import Calendar

from adapters.console.transcript import Transcript
from adapters.console.transport import ConsoleTransport
from bot.commands import CommunityRef
from bot.views import Attachment, Destination, Message
from tests.adapters.console.conftest import MakeConsole

SCRIPT = """\
priya /infochat volunteer join role="Data engineer" org=Acme topics="data engineering" timezone=Europe/Berlin windows="Tue 18:00-20:00; Thu 18-20"
sam /infochat request topic="data engineering" why="I am a backend developer moving toward data pipelines and want to hear how the work differs day to day" q="What does a typical week look like in your role?" q="Which skills mattered most when you moved into data engineering?" timezone=America/New_York windows="Tue-Thu 12-14"
sam press Ask Priya
priya press Accept
sam press Slot 1
"""


async def test_a_picked_slot_writes_the_invite_to_a_file(
    make_console: MakeConsole, tmp_path: Path
) -> None:
    console = await make_console(strict=True)
    assert await console.play(SCRIPT) == 0, console.text
    path = tmp_path / "attachments" / "infochat-1.ics"
    assert f"saved {path}" in console.text
    assert "Slot 1: Tue 6 Jan 18:00 Europe/Berlin (Priya) / 12:00 America/New_York" in console.text
    (event,) = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert event.get("UID") == "intro-1@infochat"


async def test_an_attachment_without_a_directory_is_only_named(tmp_path: Path) -> None:
    output: list[str] = []
    data = base64.b64encode(b"BEGIN:VCALENDAR").decode()
    message = Message(
        text="invite",
        attachments=(Attachment(filename="../x.ics", content_type="text/calendar", data=data),),
    )
    destination = Destination(kind="member", user_ids=("sam",))
    community = CommunityRef("console", "test", "test")
    await ConsoleTransport(Transcript(), output.append).deliver(community, destination, message, 1)
    assert "../x.ics (not saved)" in output[0]
    saving = ConsoleTransport(Transcript(), output.append, tmp_path / "files")
    await saving.deliver(community, destination, message, 1)
    assert (tmp_path / "files" / "x.ics").read_bytes() == b"BEGIN:VCALENDAR"  # no way out


async def test_every_export_is_its_own_file_with_its_own_members_data(
    make_console: MakeConsole, tmp_path: Path
) -> None:
    console = await make_console(strict=True)
    script = "sam /infochat me export\nalex /infochat me export\nsam /infochat me export\n"
    assert await console.play(script) == 0, console.text
    files = sorted((tmp_path / "attachments").glob("*.json"))
    assert len(files) == 3, files
    owners = [json.loads(f.read_bytes())["member"]["display_name"] for f in files]
    assert sorted(owners) == ["Alex", "Sam", "Sam"]
    for path in files:
        assert f"saved {path}" in console.text
