"""The forms the core offers adapters: a request, a volunteer profile."""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.community import CommunitySettings
from bot.domain.models import FORMATS, VolunteerProfile
from bot.services.forms import MAX_CONTACT, MAX_LONG, MAX_QUESTION, MAX_SHORT
from bot.views import Form, FormField

# What forms offer to pick from for numbers (the parsers still accept any value in range).
MINUTE_OPTIONS = (10, 15, 20, 30, 45, 60)
CAPACITY_OPTIONS = (1, 2, 3, 4, 5, 6, 8, 10)


def number_choices(options: tuple[int, ...], current: object, highest: int) -> tuple[str, ...]:
    """The options up to `highest`, and the current value always among them."""
    numbers = {n for n in options if n <= highest}
    if str(current).isdigit():
        numbers.add(int(str(current)))
    return tuple(str(n) for n in sorted(numbers))


def request_form(settings: CommunitySettings) -> Form:
    return Form(
        title="Ask for an informational chat",
        action="request.create",
        fields=(
            FormField(
                name="topic",
                label="What field or work are you curious about?",
                max_length=MAX_SHORT,
                placeholder="e.g. data engineering",
            ),
            FormField(
                name="why",
                label="Why this field, and how does your background relate?",
                kind="long_text",
                max_length=MAX_LONG,
            ),
            FormField(
                name="questions",
                label="2–3 questions you'd like to ask",
                kind="long_text",
                multiple=True,
                max_length=MAX_QUESTION * 3,
                placeholder="One question per line",
            ),
            FormField(
                name="minutes",
                label="How many minutes?",
                kind="number",
                default=str(settings.default_minutes),
                choices=number_choices(
                    MINUTE_OPTIONS, settings.default_minutes, settings.max_minutes
                ),
                required=False,
            ),
            FormField(
                name="format",
                label="Format",
                kind="choice",
                choices=FORMATS,
                default="video",
                required=False,
            ),
            FormField(name="time_frame", label="Within", default="2 weeks", required=False),
            FormField(
                name="role", label="A role you'd like to hear from (optional)", required=False
            ),
            FormField(name="organisation", label="An organisation (optional)", required=False),
            FormField(
                name="person",
                label="A specific volunteer (optional)",
                kind="member",
                required=False,
            ),
            FormField(
                name="affiliations",
                label="Your schools, employers, groups (optional)",
                kind="list",
                required=False,
            ),
            FormField(
                name="timezone",
                label="Your time zone, to propose times (optional)",
                kind="timezone",
                required=False,
                placeholder="e.g. Europe/Berlin",
            ),
            FormField(
                name="windows",
                label="When you're free each week (optional)",
                required=False,
                placeholder="e.g. Mon 18:00-20:00; Tue-Thu 12-13",
            ),
        ),
    )


def volunteer_form(profile: VolunteerProfile | None) -> Form:
    def value(v: str | Iterable[object] | int | None) -> str | None:
        if profile is None or v is None:
            return None
        if isinstance(v, str | int):
            return str(v)
        return ", ".join(str(x) for x in v)

    p = profile
    return Form(
        title="Your volunteer profile" if p else "Volunteer for informational chats",
        action="volunteer.edit" if p else "volunteer.join",
        fields=(
            FormField(name="role", label="Your role", default=value(p.role if p else None)),
            FormField(
                name="organisation",
                label="Where you work",
                default=value(p.organisation if p else None),
            ),
            FormField(
                name="topics",
                label="Topics you can talk about",
                kind="list",
                default=value(p.topics if p else None),
            ),
            FormField(
                name="timezone",
                label="Your time zone",
                kind="timezone",
                default=value(p.timezone if p else None),
            ),
            FormField(
                name="affiliations",
                label="Schools, employers, groups",
                kind="list",
                required=False,
                default=value(p.affiliations if p else None),
            ),
            FormField(
                name="languages",
                label="Languages",
                kind="list",
                required=False,
                default=value(p.languages if p else None),
            ),
            FormField(
                name="formats",
                label="Formats",
                kind="choice",
                choices=FORMATS,
                multiple=True,
                required=False,
                default=value(p.formats if p else None),
            ),
            FormField(
                name="minutes",
                label="Longest chat you offer (minutes)",
                kind="number",
                required=False,
                default=value(p.minutes if p else None),
                choices=number_choices(MINUTE_OPTIONS, p.minutes if p else None, 120),
            ),
            FormField(
                name="monthly_capacity",
                label="Chats per month",
                kind="number",
                required=False,
                default=value(p.monthly_capacity if p else None),
                choices=number_choices(CAPACITY_OPTIONS, p.monthly_capacity if p else None, 20),
            ),
            FormField(
                name="windows",
                label="Weekly windows, e.g. Mon 18:00-20:00; Wed 12-13",
                required=False,
                default=value("; ".join(str(w) for w in p.windows) if p else None),
            ),
            FormField(
                name="contact",
                label="How to reach me after an intro (optional)",
                required=False,
                max_length=MAX_CONTACT,
                default=value(p.contact if p and p.contact else None),
                placeholder="email, profile link, calendar link or handle",
            ),
        ),
    )
