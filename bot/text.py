"""Text hygiene: what comes in is cleaned, what goes out can never ping a crowd."""

from __future__ import annotations

import re
import unicodedata

# Everything in Unicode category C (control, format, unassigned, private use) except the
# whitespace a person may legitimately type.
_ALLOWED_CONTROL = {"\n", "\t"}
# Discord pings for `@everyone` and `@here` anywhere in a message, whatever follows
# (`@everyoneX`, `@here_team`), so no word boundary: every occurrence is defused.
_MASS_MENTION = re.compile(r"@(?=everyone|here|channel)", re.IGNORECASE)
_ZWSP = "\u200b"


def clean(text: str, *, multiline: bool = False) -> str:
    """Normalise user text: NFC, no control or invisible characters, trimmed.

    Single-line fields also fold all whitespace runs to one space.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        ch for ch in text if ch in _ALLOWED_CONTROL or unicodedata.category(ch)[0] != "C"
    )
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = "\n".join(lines)
        text = re.sub(r"\n{3,}", "\n\n", text)
    else:
        text = " ".join(text.split())
    return text.strip()


def neutralize(text: str) -> str:
    """Defuse every mass or targeted mention syntax Slack and Discord know.

    `@everyone`, `@here`, `@channel` (also inside a longer word), Slack's `<!channel>`,
    `<!here>`, `<!everyone>`, `<!subteam^…>` and `<@U…>`, and Discord's `<@id>` and
    `<@&role>` all get a zero-width space after their trigger character, so they render as
    typed but notify nobody. Idempotent: defused text is left as it is.
    """
    text = _MASS_MENTION.sub("@" + _ZWSP, text)
    return text.replace("<!", "<" + _ZWSP + "!").replace("<@", "<" + _ZWSP + "@")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
