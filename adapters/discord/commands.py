"""The `/infochat` slash-command group: options with descriptions, choices and autocomplete.

Each subcommand builds the same text a console user would type (`volunteer pause
YYYY-MM-DD`, `request topic="data" …`) and hands it to the core's shared grammar, so Discord
adds no parsing rules of its own. The `fields` option takes that grammar directly (for power
users); `/infochat request` or `volunteer join` with no options opens the form as modals.
"""

import shlex
from typing import Any

import discord
from discord import app_commands

from adapters.discord.autocomplete import timezone_choices, topic_choices
from adapters.discord.interactions import respond
from adapters.discord.replies import (
    SERVER_ONLY,
    actor_of,
    answered_once,
    guild_of,
    host,
    key_of,
    say,
)
from bot.domain.models import FORMATS
from bot.services.form_views import MINUTE_OPTIONS

FIELDS_HELP = 'more key=value pairs, e.g. topic="data engineering" minutes=15'
Choice = app_commands.Choice
FORMAT_CHOICES = [Choice(name=f, value=f) for f in FORMATS]
MINUTE_CHOICES = [Choice(name=f"{m} minutes", value=m) for m in MINUTE_OPTIONS]
ON_OFF = [Choice(name="on", value="on"), Choice(name="off", value="off")]
PERIOD_CHOICES = [
    Choice(name="last 4 weeks", value="4w"),
    Choice(name="last 12 weeks", value="12w"),
    Choice(name="last year", value="1y"),
]


class InfochatTree(app_commands.CommandTree[Any]):
    """The command tree, which answers only inside a server. Discord hides server-only
    commands in DMs, but a payload from a DM (no guild) still arrives: it is refused
    privately and nothing is stored, since a community is a server."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if guild_of(interaction) is not None:
            return True
        with answered_once(interaction):
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            else:
                await say(interaction, content=SERVER_ONLY)
        return False


async def run_text(
    interaction: discord.Interaction[Any],
    words: str,
    *positional: str | None,
    fields: str | None = None,
    **options: object,
) -> None:
    """`words positional… key=value… fields` through the core's grammar; the reply privately."""
    parts = [words, *(shlex.quote(p) for p in positional if p)]
    for name, value in options.items():
        if value is None or value == "":
            continue
        if isinstance(value, discord.abc.Snowflake):
            value = f"<@{value.id}>"
        parts.append(f"{name}={shlex.quote(str(value))}")
    if fields:
        parts.append(fields)
    actor = actor_of(interaction)
    core = host(interaction).core
    key = key_of(interaction)
    text = " ".join(parts)
    with answered_once(interaction):
        await respond(
            interaction, lambda: core.dispatch_text(actor, text, key), actor.community.external_id
        )


def _plain(group: app_commands.Group, name: str, words: str, description: str) -> None:
    @group.command(name=name, description=description)
    async def command(interaction: discord.Interaction[Any]) -> None:
        await run_text(interaction, words)


def _with_fields(group: app_commands.Group, name: str, words: str, description: str) -> None:
    @group.command(name=name, description=description)
    @app_commands.describe(fields=FIELDS_HELP)
    async def command(interaction: discord.Interaction[Any], fields: str | None = None) -> None:
        await run_text(interaction, words, fields=fields)


def _with_id(group: app_commands.Group, name: str, words: str, description: str) -> None:
    @group.command(name=name, description=description)
    @app_commands.describe(id="the number shown with it, e.g. 12", fields=FIELDS_HELP)
    async def command(
        interaction: discord.Interaction[Any], id: str, fields: str | None = None
    ) -> None:
        await run_text(interaction, words, id, fields=fields)


def _request(top: app_commands.Group) -> None:
    @top.command(name="request", description="Ask for a short informational chat")
    @app_commands.describe(
        topic="the field or work you are curious about",
        why="why this field, and how your background relates",
        questions="2–3 questions you'd like to ask, separated by |",
        minutes="how long a chat you ask for",
        format="how you'd like to talk",
        within="when, e.g. 2 weeks",
        role="a role you'd like to hear from",
        organisation="an organisation you'd like to hear from",
        person="a volunteer you'd like to ask",
        affiliations="your schools, employers, groups (comma-separated)",
        timezone="your time zone, to propose times",
        windows="when you're free each week, e.g. Mon 18:00-20:00; Tue-Thu 12-13",
        fields=FIELDS_HELP,
    )
    @app_commands.choices(minutes=MINUTE_CHOICES)
    @app_commands.choices(format=FORMAT_CHOICES)
    @app_commands.autocomplete(topic=topic_choices, timezone=timezone_choices)
    async def request(
        interaction: discord.Interaction[Any],
        topic: str | None = None,
        why: str | None = None,
        questions: str | None = None,
        minutes: int | None = None,
        format: str | None = None,
        within: str | None = None,
        role: str | None = None,
        organisation: str | None = None,
        person: discord.User | None = None,
        affiliations: str | None = None,
        timezone: str | None = None,
        windows: str | None = None,
        fields: str | None = None,
    ) -> None:
        await run_text(
            interaction, "request", fields=fields, topic=topic, why=why, questions=questions,
            minutes=minutes, format=format, time_frame=within, role=role,
            organisation=organisation, person=person, affiliations=affiliations,
            timezone=timezone, windows=windows,
        )  # fmt: skip


def _profile(volunteer: app_commands.Group, name: str, description: str) -> None:
    @volunteer.command(name=name, description=description)
    @app_commands.describe(
        role="your role",
        organisation="where you work",
        topics="topics you can talk about (comma-separated)",
        timezone="your time zone",
        affiliations="schools, employers, groups (comma-separated)",
        languages="languages you can chat in (comma-separated)",
        formats="formats you offer (comma-separated): " + ", ".join(FORMATS),
        minutes="the longest chat you offer",
        capacity="chats per month",
        windows="weekly windows, e.g. Mon 18:00-20:00; Wed 12-13",
        contact="how to reach you after an introduction across platforms (email, link, handle)",
        fields=FIELDS_HELP,
    )
    @app_commands.choices(minutes=MINUTE_CHOICES)
    @app_commands.autocomplete(topics=topic_choices, timezone=timezone_choices)
    async def profile(
        interaction: discord.Interaction[Any],
        role: str | None = None,
        organisation: str | None = None,
        topics: str | None = None,
        timezone: str | None = None,
        affiliations: str | None = None,
        languages: str | None = None,
        formats: str | None = None,
        minutes: int | None = None,
        capacity: app_commands.Range[int, 1, 20] | None = None,
        windows: str | None = None,
        contact: str | None = None,
        fields: str | None = None,
    ) -> None:
        await run_text(
            interaction, f"volunteer {name}", fields=fields, role=role,
            organisation=organisation, topics=topics, timezone=timezone,
            affiliations=affiliations, languages=languages, formats=formats, minutes=minutes,
            monthly_capacity=capacity, windows=windows, contact=contact,
        )  # fmt: skip


def _member(top: app_commands.Group) -> None:
    @top.command(name="cancel", description="Cancel one of your requests")
    @app_commands.describe(id="the request number (optional: your only open one)")
    async def cancel(interaction: discord.Interaction[Any], id: str | None = None) -> None:
        await run_text(interaction, "cancel", id)

    @top.command(name="availability", description="Your weekly windows and time zone")
    @app_commands.describe(
        windows="e.g. Mon 18:00-20:00; Wed 12-13", timezone="your time zone, e.g. Europe/Berlin"
    )
    @app_commands.autocomplete(timezone=timezone_choices)
    async def availability(
        interaction: discord.Interaction[Any],
        windows: str | None = None,
        timezone: str | None = None,
    ) -> None:
        await run_text(interaction, "availability", windows=windows, timezone=timezone)

    @top.command(name="me", description="What infochat knows about you: chats given and received")
    @app_commands.describe(recognition="may digests thank you by name?")
    @app_commands.choices(recognition=ON_OFF)
    async def me(interaction: discord.Interaction[Any], recognition: str | None = None) -> None:
        await run_text(interaction, "me", recognition=recognition)

    @top.command(
        name="my-data", description="Get everything infochat stores about you, or erase it"
    )
    @app_commands.describe(what="export: a JSON file in your DMs; delete: erase it (asks first)")
    @app_commands.choices(
        what=[Choice(name="export", value="export"), Choice(name="delete", value="delete")]
    )
    async def my_data(interaction: discord.Interaction[Any], what: str) -> None:
        await run_text(interaction, f"me {what}")


def _volunteer(top: app_commands.Group) -> None:
    volunteer = app_commands.Group(
        name="volunteer", description="Offer informational chats", parent=top
    )
    _profile(volunteer, "join", "Become a volunteer (no options: a form)")
    _profile(volunteer, "edit", "Change your volunteer profile (no options: a form)")
    _plain(volunteer, "show", "volunteer show", "Show your volunteer profile")
    _plain(volunteer, "resume", "volunteer resume", "Take asks again")
    _plain(volunteer, "leave", "volunteer leave", "Stop volunteering")

    @volunteer.command(name="pause", description="No new asks until a date")
    @app_commands.describe(until="YYYY-MM-DD (optional: the community's default)")
    async def pause(interaction: discord.Interaction[Any], until: str | None = None) -> None:
        await run_text(interaction, "volunteer pause", until)


def _health(mod: app_commands.Group) -> None:
    @mod.command(name="health", description="Program health: what needs attention, a chart")
    @app_commands.describe(period="how far back (default: the last 4 weeks)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def health(interaction: discord.Interaction[Any], period: str | None = None) -> None:
        await run_text(interaction, "mod health", period=period)


def _export(mod: app_commands.Group) -> None:
    @mod.command(name="export", description="Requests, asks, introductions, chats as CSV files")
    @app_commands.describe(
        period="how far back (default: the last 4 weeks)",
        names="include display names (audited; default: a code per member)",
        texts="include what members wrote (audited)",
    )
    @app_commands.choices(period=PERIOD_CHOICES, names=ON_OFF, texts=ON_OFF)
    async def export(
        interaction: discord.Interaction[Any],
        period: str | None = None,
        names: str | None = None,
        texts: str | None = None,
    ) -> None:
        await run_text(interaction, "mod export", period=period, names=names, texts=texts)


def _link(top: app_commands.Group) -> None:
    """A member's accounts on two places (this server and a Slack workspace, say) as one."""

    @top.command(name="link", description="Link your account here with one on another place")
    @app_commands.describe(code="the code `/infochat link` showed you there (empty: get a code)")
    async def link(interaction: discord.Interaction[Any], code: str | None = None) -> None:
        await run_text(interaction, "link", code=code)

    _plain(top, "unlink", "unlink", "Split your linked accounts again")


def _places(mod: app_commands.Group) -> None:
    """This server and another place (a Slack workspace, another server) as one community."""

    @mod.command(name="link-place", description="Join this server to another place's community")
    @app_commands.describe(code="the code `link-place` showed there (empty: get a code)")
    async def link_place(interaction: discord.Interaction[Any], code: str | None = None) -> None:
        await run_text(interaction, "mod link-place", code=code)

    @mod.command(name="unlink-place", description="Take a place out of this community")
    @app_commands.describe(n="the place's number in `/infochat-mod places`")
    async def unlink_place(
        interaction: discord.Interaction[Any], n: app_commands.Range[int, 1, 99] | None = None
    ) -> None:
        await run_text(interaction, "mod unlink-place", None if n is None else str(n))

    _plain(mod, "places", "mod places", "The places this community lives on")


def build_mod_group() -> app_commands.Group:
    """`/infochat-mod`: a command of its own, because Discord hides whole commands only.
    Hidden by default from members without Manage Server (a server changes that under
    Integrations, e.g. for its moderator role); the core checks every action anyway."""
    mod = app_commands.Group(
        name="infochat-mod",
        description="infochat moderators: approvals, audit, settings",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )
    _plain(mod, "queue", "mod queue", "Introductions waiting for approval")
    _with_id(mod, "approve", "mod approve", "Approve an introduction")

    @mod.command(name="deny", description="Deny an introduction, with a reason")
    @app_commands.describe(id="the ask number", reason="why (the seeker will see it)")
    async def deny(interaction: discord.Interaction[Any], id: str, reason: str) -> None:
        await run_text(interaction, "mod deny", id, reason=reason)

    _plain(mod, "audit", "mod audit", "Recent moderator actions")
    _with_fields(mod, "settings", "mod settings", "Show or change community settings")
    _plain(mod, "ledger", "mod ledger", "Who gave and received chats")
    _plain(mod, "digest", "mod digest", "Preview this week's digest")
    _health(mod)
    _export(mod)
    _plain(mod, "setup", "mod setup", "The setup checklist: settings, how to change them, checks")
    _places(mod)
    return mod


def build_group() -> app_commands.Group:
    top = app_commands.Group(
        name="infochat",
        description="Informational interviews: ask for a chat, or give one",
        guild_only=True,  # a community is a server; buttons in DMs carry their server
    )
    _plain(top, "help", "help", "What infochat does and how to use it")
    _request(top)
    _plain(top, "status", "status", "Your open requests")
    _with_id(top, "pick", "pick", "Pick a suggested volunteer or time")
    _plain(top, "home", "home", "Everything that concerns you: profile, asks, requests")
    _member(top)
    _link(top)
    _volunteer(top)
    return top
