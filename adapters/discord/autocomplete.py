"""Autocomplete for slash-command options: topics and time zones, from the core.

Read-only and cheap (`Infochat.suggest`); Discord shows at most 25 choices of 100 characters.
"""

from typing import Any

import discord
from discord import app_commands

from adapters.discord.replies import actor_of, host

Choice = app_commands.Choice
AUTOCOMPLETE_MAX = 25


async def suggest(
    interaction: discord.Interaction[Any], field: str, typed: str
) -> list[Choice[str]]:
    """Autocomplete from the core; for a list field (`a, b, c`) only the last item is completed."""
    done, _, last = typed.rpartition(",")
    prefix = f"{done.strip()}, " if done.strip() else ""
    found = await host(interaction).core.suggest(actor_of(interaction), field, last.strip())
    values = [f"{prefix}{s}"[:100] for s in found]
    return [Choice(name=v, value=v) for v in values[:AUTOCOMPLETE_MAX]]


async def topic_choices(interaction: discord.Interaction[Any], typed: str) -> list[Choice[str]]:
    return await suggest(interaction, "topic", typed)


async def timezone_choices(interaction: discord.Interaction[Any], typed: str) -> list[Choice[str]]:
    return await suggest(interaction, "timezone", typed)
