"""The console's `Transport`: each delivery goes into the transcript and is printed; its
attachments (a calendar invite, a chart) are written to files under `attachments_dir`.

The transcript keeps the outbox row of each delivery: a row delivered again (its outcome was
never recorded, or its lease lapsed mid-send) is not shown twice. Checking is free here, so
it is done on every delivery, in doubt or not."""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Callable
from pathlib import Path

from adapters.console.render import INDENT, render, safe
from adapters.console.transcript import Transcript
from bot.commands import CommunityRef
from bot.views import Attachment, Destination, Message


class ConsoleTransport:
    def __init__(
        self,
        transcript: Transcript,
        write: Callable[[str], None],
        attachments_dir: Path | None = None,
    ) -> None:
        self.transcript = transcript
        self.write = write
        self.attachments_dir = attachments_dir

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        if delivery_id in self.transcript.delivery_ids:  # its outcome went unrecorded: once
            return
        item = self.transcript.add_delivery(
            destination, message, delivery_id, place=community.external_id
        )
        shown = render(item, places=self.transcript.several_places)
        notes = [f"{INDENT}📎 {self.save(a)}" for a in message.attachments]
        self.write("\n".join([shown, *notes]))

    def save(self, attachment: Attachment) -> str:
        """Write the attachment to its file; what to print about it."""
        name = Path(attachment.filename).name
        if self.attachments_dir is None or name in ("", ".", ".."):
            return f"{safe(attachment.filename)} (not saved)"
        try:
            data = base64.b64decode(attachment.data, validate=True)
            self.attachments_dir.mkdir(parents=True, exist_ok=True)
            path = _write_new(self.attachments_dir, name, data)
        except (OSError, binascii.Error) as exc:
            return f"{safe(name)} could not be saved ({exc.__class__.__name__})"
        return f"saved {safe(str(path))}"


def _write_new(directory: Path, name: str, data: bytes) -> Path:
    """Write a new file named `name`, or `name` numbered (`x-2.json`, …) when that exists:
    a file written earlier, for this member or another, is never overwritten."""
    stem, suffix = Path(name).stem, Path(name).suffix
    for number in itertools.count(1):
        path = directory / (name if number == 1 else f"{stem}-{number}{suffix}")
        try:
            with path.open("xb") as file:
                file.write(data)
        except FileExistsError:
            continue
        return path
    raise AssertionError("unreachable")
