"""Where console lines come from: a person at a terminal, or a script played back.

A script echoes every line after its prompt, so its output reads like a typed session.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable
from typing import Protocol

from adapters.console.grammar import is_comment
from adapters.console.render import safe

PROMPT = "infochat> "
CANCEL = "/cancel"
ECHO_LIMIT = 1000
BOM = "\ufeff"


class LineSource(Protocol):
    number: int  # how many lines were read so far

    def read(self, prompt: str, *, command: bool = False) -> str | None:
        """The next line without its newline, or None at the end of the input."""
        ...


class ScriptSource:
    def __init__(self, lines: Iterable[str], write: Callable[[str], None]) -> None:
        self._lines = iter(lines)
        self.write = write
        self.number = 0

    def read(self, prompt: str, *, command: bool = False) -> str | None:
        line = next(self._lines, None)
        if line is None:
            return None
        self.number += 1
        line = line.rstrip("\r\n")
        if self.number == 1:
            line = line.removeprefix(BOM)  # a script saved "with signature"
        if (command and not line.strip()) or is_comment(line):
            self.write(safe(line.rstrip()))
        else:
            self.write(prompt + echo(line))
        return line


class InteractiveSource:
    """Reads a terminal; Ctrl-D ends the session, Ctrl-C drops the line (or cancels a form)."""

    def __init__(self, read_line: Callable[[str], str] = input) -> None:
        self.read_line = read_line
        self.number = 0

    def read(self, prompt: str, *, command: bool = False) -> str | None:
        # While waiting for the person, Ctrl-C is theirs (drop the line), not asyncio's
        # (which would cancel the whole session).
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            line = self.read_line(prompt)
        except EOFError:
            print()
            return None
        except KeyboardInterrupt:
            print()
            return "" if command else CANCEL
        finally:
            signal.signal(signal.SIGINT, previous)
        self.number += 1
        return line


def echo(line: str) -> str:
    if len(line) <= ECHO_LIMIT:
        return safe(line)
    return safe(line[:ECHO_LIMIT]) + f"… ({len(line)} characters)"
