"""The messages the core sends, as neutral views. Wording follows the rules in DESIGN.md §1."""

from __future__ import annotations

from bot.domain.models import Candidate, Finding, RequestFields, Severity, VolunteerProfile
from bot.storage.members import Member
from bot.storage.requests import StoredAsk, StoredRequest
from bot.text import shorten
from bot.views import Button, Form, FormField, Line, Message

TIPS = (
    "Respect the time: keep to the minutes you agreed and start with your questions.",
    "Follow up with a thank-you afterwards, and say what you took away.",
    "Pay it forward: one day someone will ask you for 15 minutes.",
)


def request_lines(fields: RequestFields) -> tuple[Line, ...]:
    lines = [
        Line(label="Topic", value=fields.topic),
        Line(label="Why", value=fields.why),
        Line(
            label="Questions",
            value="\n".join(f"{i}. {q}" for i, q in enumerate(fields.questions, 1)),
        ),
        Line(
            label="Time",
            value=f"{fields.minutes} minutes, {fields.format}, within {fields.time_frame_days} days",
        ),
    ]
    if fields.target_role or fields.target_org:
        wanted = " at ".join(x for x in (fields.target_role, fields.target_org) if x)
        lines.append(Line(label="Hoping to hear from", value=wanted))
    return tuple(lines)


def findings_message(request_id: int, findings: tuple[Finding, ...]) -> Message:
    return Message(
        title=f"Draft #{request_id}: a few suggestions before your request goes out",
        text="\n".join(f"• {f.message}" for f in findings) + f"\n\n{draft_help(request_id)}",
        buttons=(
            Button(
                label="Send anyway",
                action="request.submit",
                target=str(request_id),
                style="primary",
            ),
            Button(label="Discard", action="request.discard", target=str(request_id)),
        ),
    )


def draft_help(request_id: int) -> str:
    return (
        f"Draft #{request_id} is kept, not sent: send it as it is, discard it, or send an edited "
        f"request with `replaces={request_id}` (`/infochat request topic=… replaces={request_id}`) "
        "and the draft goes."
    )


def draft_buttons(request_id: int) -> tuple[Button, ...]:
    """Send or discard a kept draft, from anywhere it is listed (status, home)."""
    target = str(request_id)
    return (
        Button(
            label=f"Send #{request_id} as it is",
            action="request.submit",
            target=target,
            style="primary",
        ),
        Button(label=f"Discard #{request_id}", action="request.discard", target=target),
    )


def blocking_text(findings: tuple[Finding, ...]) -> str:
    blocking = [f for f in findings if f.severity is Severity.BLOCKING]
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    text = "Your request needs a little more before it goes out:\n" + "\n".join(
        f"• {f.message}" for f in blocking
    )
    if warnings:
        text += "\n\nAlso worth a look:\n" + "\n".join(f"• {f.message}" for f in warnings)
    return text


def suggestions_message(
    request_id: int,
    candidates: tuple[Candidate, ...],
    widened: bool,
    elsewhere: frozenset[int] = frozenset(),
) -> Message:
    """The volunteers a seeker may pick from. Those on another place of the community
    (member ids in `elsewhere`) are shown by what they do, not by name: their name reaches
    the seeker's place only with their Accept."""
    intro = (
        "Nobody lists exactly that topic, so here are people in close fields."
        if widened
        else "These volunteers could help."
    )

    def name(i: int, c: Candidate) -> str:
        if c.volunteer.member_id in elsewhere:
            return f"Volunteer {i} (on another platform)"
        return c.volunteer.display_name

    lines = tuple(
        Line(
            label=f"{i}. {name(i, c)}",
            value=f"{describe(c.volunteer)} — {'; '.join(c.reasons)}",
        )
        for i, c in enumerate(candidates, 1)
    )
    buttons = (
        *tuple(
            Button(
                label=(
                    f"Ask volunteer {i}"
                    if c.volunteer.member_id in elsewhere
                    else f"Ask {shorten(c.volunteer.display_name, 30)}"
                ),
                action="request.pick",
                target=f"{request_id}:{c.volunteer.member_id}",
            )
            for i, c in enumerate(candidates, 1)
        ),
        Button(
            label="Let the bot choose",
            action="request.pick",
            target=f"{request_id}:auto",
            style="primary",
        ),
    )
    return Message(
        title=f"Request #{request_id} is open",
        text=f"{intro} Pick one, or let the bot choose. Nobody is introduced before they say yes.",
        lines=lines,
        buttons=buttons,
    )


def describe(v: VolunteerProfile) -> str:
    return " at ".join(x for x in (v.role, v.organisation) if x)


def ask_message(
    ask_id: int, request: StoredRequest, seeker: Member, note: str = "", suggested_by: str = ""
) -> Message:
    f = request.fields
    text = (
        f"{seeker.display_name} would like a {f.minutes}-minute {f.format} chat about {f.topic}. "
        "Would you be up for it? Saying no is fine: they won't be told who declined."
    )
    if suggested_by:
        text = f"{suggested_by} thought you'd be a good person to ask. " + text
    lines = request_lines(f)
    if note:
        lines += (Line(label=f"Note from {suggested_by or 'the volunteer'}", value=note),)
    return Message(
        title=f"Would you have {f.minutes} minutes for {seeker.display_name}?",
        text=text,
        lines=lines,
        buttons=ask_buttons(ask_id),
    )


def ask_buttons(ask_id: int) -> tuple[Button, ...]:
    target = str(ask_id)
    return (
        Button(label="Accept", action="ask.accept", target=target, style="primary"),
        Button(
            label="Not right now",
            action="ask.not_now",
            target=target,
            form=Form(
                title="Pause until",
                action="ask.not_now",
                target=target,
                fields=(
                    FormField(
                        name="until",
                        label="Pause new asks until (YYYY-MM-DD)",
                        kind="date",
                        required=False,
                        placeholder="two weeks from today",
                    ),
                ),
            ),
        ),
        Button(label="Decline", action="ask.decline", target=target, style="danger"),
        Button(
            label="Suggest a colleague",
            action="ask.suggest",
            target=target,
            form=Form(
                title="Suggest a colleague",
                action="ask.suggest",
                target=target,
                fields=(
                    FormField(name="colleague", label="Who could help instead?", kind="member"),
                    FormField(
                        name="note",
                        label="A note for them (optional)",
                        kind="long_text",
                        required=False,
                        max_length=500,
                    ),
                ),
            ),
        ),
    )


def approval_message(
    ask: StoredAsk, request: StoredRequest, seeker: Member, volunteer: Member
) -> Message:
    return Message(
        title=f"Approval needed: {seeker.display_name} → {volunteer.display_name}",
        text=(
            f"{seeker.display_name} asks for a chat about {request.fields.topic}. "
            f"Proposed volunteer: {volunteer.display_name}"
            + (f" ({'; '.join(ask.reasons)})" if ask.reasons else "")
            + f". Ask #{ask.id}, request #{request.id}."
        ),
        lines=request_lines(request.fields),
        buttons=(
            Button(label="Approve", action="mod.approve", target=str(ask.id), style="primary"),
            Button(
                label="Deny",
                action="mod.deny",
                target=str(ask.id),
                style="danger",
                form=Form(
                    title="Deny this introduction",
                    action="mod.deny",
                    target=str(ask.id),
                    fields=(
                        FormField(
                            name="reason",
                            label="Reason (the seeker will see it)",
                            kind="long_text",
                            max_length=500,
                        ),
                    ),
                ),
            ),
        ),
    )


def introduction_message(
    request: StoredRequest,
    seeker: Member,
    volunteer: Member,
    times: tuple[Line, ...] = (),
    buttons: tuple[Button, ...] = (),
    next_step: str = "",
) -> Message:
    """The introduction; with proposed `times` (R8), their buttons and what to do next."""
    f = request.fields
    next_step = next_step or (
        f"{seeker.display_name}, please suggest a couple of times that suit {volunteer.display_name}."
    )
    return Message(
        title=f"Introduction: {seeker.display_name} meet {volunteer.display_name}",
        text=(
            f"{volunteer.display_name} said yes to a {f.minutes}-minute {f.format} chat with "
            f"{seeker.display_name} about {f.topic}, within the next {f.time_frame_days} days. "
            + next_step
        ),
        buttons=buttons,
        lines=(
            Line(label="Agreed time", value=f"{f.minutes} minutes"),
            *times,
            Line(label="Why", value=f.why),
            Line(
                label="Questions",
                value="\n".join(f"{i}. {q}" for i, q in enumerate(f.questions, 1)),
            ),
            Line(label="Tips", value="\n".join(f"• {t}" for t in TIPS)),
        ),
        mentions=(seeker.user_id, volunteer.user_id),
    )


def done(text: str) -> Message:
    """What a clicked message becomes, so nobody clicks twice."""
    return Message(text=text)
