"""The fields each action takes. The core refuses any other before the action runs, the same
for a typed command, a submitted form and a button's form on every adapter: a mistyped field
(`untill=…`) must not be ignored silently while the default applies."""

from __future__ import annotations

from bot.commands import Command
from bot.services.forms import REQUEST_KEYS, VOLUNTEER_KEYS, reject_unknown

NOTHING: frozenset[str] = frozenset()

# A member picked in a form (`colleague`) may come with the name the platform shows for them
# (`colleague_name`), for a member the bot hasn't met yet.
ACCEPTED: dict[str, frozenset[str] | None] = {
    "help": NOTHING,
    "request.create": REQUEST_KEYS,
    "request.submit": NOTHING,
    "request.discard": NOTHING,
    "request.pick": frozenset({"choice"}),
    "request.status": NOTHING,
    "request.cancel": NOTHING,
    "member.me": frozenset({"recognition"}),
    "member.home": NOTHING,
    "member.export": NOTHING,
    "member.delete": NOTHING,
    "member.link": frozenset({"code", "keep"}),
    "member.unlink": NOTHING,
    "volunteer.join": VOLUNTEER_KEYS,
    "volunteer.edit": VOLUNTEER_KEYS,
    "volunteer.show": NOTHING,
    "volunteer.availability": frozenset({"windows", "timezone"}),
    "volunteer.pause": frozenset({"until"}),
    "volunteer.resume": NOTHING,
    "volunteer.leave": NOTHING,
    "ask.accept": frozenset({"contact"}),
    "ask.accept_contact": frozenset({"contact"}),  # the Accept's form, across places
    "ask.not_now": frozenset({"until"}),
    "ask.decline": NOTHING,
    "ask.suggest": frozenset({"colleague", "colleague_name", "note"}),
    "mod.queue": NOTHING,
    "mod.approve": NOTHING,
    "mod.deny": frozenset({"reason"}),
    "mod.audit": NOTHING,
    "mod.settings": None,  # the setting names: the handler refuses unknown ones itself
    "mod.ledger": NOTHING,
    "mod.digest": NOTHING,
    "mod.health": frozenset({"period"}),
    "mod.export": frozenset({"period", "names", "texts"}),
    "mod.setup": NOTHING,
    "mod.places": NOTHING,
    "mod.link_place": frozenset({"code"}),
    "mod.unlink_place": NOTHING,
    "intro.pick_slot": NOTHING,
    "intro.no_slot": NOTHING,
    "intro.share_contact": frozenset({"contact"}),
    "followup.yes": NOTHING,
    "followup.not_yet": NOTHING,
    "followup.didnt_happen": NOTHING,
    "thanks.send": frozenset({"text"}),
}


def check_fields(command: Command) -> None:
    """Refuse a field the action doesn't take (`InvalidInput`, naming the fields it does)."""
    accepted = ACCEPTED.get(command.action, NOTHING)
    if accepted is not None:
        reject_unknown(command.args, accepted)
