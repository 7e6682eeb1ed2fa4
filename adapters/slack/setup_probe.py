"""Slack's part of the setup checklist: the workspace-wide checks `infochat doctor` makes
(the bot token, its granted scopes, Socket Mode or HTTP mode) and `SlackProbe`, the checks
for one community (its channels exist and the app is in them; the moderators' user group).

Every Web API call has a within; an error or an unreachable Slack is a ✘ line, never an
exception. Nothing here prints or logs a token.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import EVENTS_PATH
from adapters.slack.channels import next_cursor
from bot.commands import CommunityRef
from bot.config import Settings
from bot.domain.community import CommunitySettings
from bot.setup_checks import Check

# The bot scopes deploy/slack-manifest.yml declares (a test keeps the two the same): what the
# adapter calls, and nothing else.
REQUIRED_SCOPES = frozenset(
    {
        "commands",
        "chat:write",
        "im:write",
        "mpim:write",
        "users:read",
        "usergroups:read",
        "channels:read",
        "groups:read",
        "files:write",
        "channels:history",
        "groups:history",
        "im:history",
        "mpim:history",
    }
)
log = logging.getLogger(__name__)
CALL_TIMEOUT = 10.0  # seconds, for each Web API call
MAX_PAGES = 50  # conversations.list pages of 200 channels
SCOPES_FIX = (
    "add them under OAuth & Permissions → Scopes → Bot Token Scopes (deploy/slack-manifest.yml "
    "lists them all), then reinstall the app to the workspace"
)
T = TypeVar("T")


class Unanswered(Exception):
    """A Web API call failed: `reason` says how, in words for a checklist line."""

    def __init__(self, reason: str, error: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error  # Slack's error code, when Slack answered


@dataclass(frozen=True)
class Identity:
    """Who the bot token belongs to (auth.test)."""

    team_id: str
    team: str
    user_id: str
    user: str
    scopes: frozenset[str] | None  # None: Slack didn't say (no x-oauth-scopes header)


async def call(awaitable: Awaitable[T], within: float = CALL_TIMEOUT) -> T:
    """One Web API call, bounded in time, its failure an `Unanswered`."""
    try:
        async with asyncio.timeout(within):
            return await awaitable
    except SlackApiError as exc:
        if not exc.response.get("error"):  # not Slack's answer: a proxy, a wrong URL
            status = exc.response.status_code
            raise Unanswered(f"an answer that isn't Slack's: HTTP {status}") from None
        error = str(exc.response.get("error"))
        needed = exc.response.get("needed")
        reason = f"missing scope {needed}" if error == "missing_scope" and needed else error
        raise Unanswered(reason, error) from None
    except TimeoutError:
        raise Unanswered(f"no answer within {within:g} s") from None
    except (aiohttp.ClientError, OSError, SlackClientError) as exc:
        raise Unanswered(f"Slack is unreachable ({type(exc).__name__})") from None


def token_shape(token: str, setting: str, expected: Literal["xoxb-", "xapp-"]) -> Check | None:
    """A ✘ when a token is obviously of the wrong kind, before asking Slack."""
    if token.startswith(expected):
        return None
    kinds = {"xapp-": "an app-level token", "xoxp-": "a user token", "xoxb-": "a bot token"}
    kind = next((k for p, k in kinds.items() if token.startswith(p)), "not a Slack token")
    if expected == "xoxb-":
        return Check(
            False,
            f"{setting} is a bot token (xoxb-…): it is {kind}",
            "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions"
            + (
                "; the xapp- token goes in INFOCHAT_SLACK_APP_TOKEN"
                if kind.startswith("an")
                else ""
            ),
        )
    return Check(
        False,
        f"{setting} is an app-level token (xapp-…): it is {kind}",
        "create one under Basic Information → App-Level Tokens with the connections:write "
        "scope, or unset INFOCHAT_SLACK_APP_TOKEN for HTTP mode",
    )


async def identify(client: AsyncWebClient, within: float = CALL_TIMEOUT) -> Identity:
    """auth.test: the workspace, the bot user and the scopes granted to the token."""
    response = await call(client.auth_test(), within)
    header = response.headers.get("x-oauth-scopes") if response.headers else None
    scopes = None if header is None else frozenset(s.strip() for s in header.split(",") if s)
    if not response.get("bot_id"):
        raise Unanswered("the token is not a bot's (auth.test names no bot)", "not_a_bot")
    return Identity(
        str(response.get("team_id") or ""),
        str(response.get("team") or response.get("team_id") or ""),
        str(response.get("user_id") or ""),
        str(response.get("user") or "infochat"),
        scopes,
    )


async def workspace_checks(
    settings: Settings, client: AsyncWebClient, within: float = CALL_TIMEOUT
) -> tuple[list[Check], Identity | None]:
    """The bot token, its scopes and the connection mode; the identity when the token works."""
    token = settings.slack_bot_token
    if token is None:
        fix = "set INFOCHAT_SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…)"
        return [Check(False, "INFOCHAT_SLACK_BOT_TOKEN is set", fix)], None
    wrong = token_shape(token.get_secret_value(), "INFOCHAT_SLACK_BOT_TOKEN", "xoxb-")
    if wrong is not None:
        return [wrong], None
    try:
        me = await identify(client, within)
    except Unanswered as exc:
        if not exc.error:
            label = f"Slack answers at {settings.slack_api_url} ({exc.reason})"
            return [Check(False, label, "check the network and INFOCHAT_SLACK_API_URL")], None
        fix = (
            "copy the Bot User OAuth Token (xoxb-…) again from OAuth & Permissions "
            "(reinstall the app if it was revoked)"
        )
        return [Check(False, f"Slack accepts the bot token (auth.test: {exc.reason})", fix)], None
    checks = [Check(True, f"bot token valid: @{me.user} in workspace {me.team} ({me.team_id})")]
    checks.append(scope_check(me.scopes))
    checks.extend(await mode_checks(settings, client, within))
    return checks, me


def scope_check(granted: frozenset[str] | None) -> Check:
    if granted is None:
        return Check(
            False,
            "the granted scopes are known (Slack sent no x-oauth-scopes header)",
            "check that INFOCHAT_SLACK_API_URL is Slack's Web API",
        )
    lacking = sorted(REQUIRED_SCOPES - granted)
    if lacking:
        return Check(False, f"granted scopes: missing {', '.join(lacking)}", SCOPES_FIX)
    return Check(True, f"granted scopes cover the manifest's {len(REQUIRED_SCOPES)}")


async def mode_checks(settings: Settings, client: AsyncWebClient, within: float) -> list[Check]:
    """Socket Mode: the app-level token opens a connection. HTTP mode: a signing secret."""
    app_token = settings.slack_app_token
    if app_token is None:
        if settings.slack_signing_secret is None:
            return [
                Check(
                    False,
                    "HTTP mode has a signing secret",
                    "set INFOCHAT_SLACK_SIGNING_SECRET (Basic Information → App Credentials), "
                    "or INFOCHAT_SLACK_APP_TOKEN for Socket Mode",
                )
            ]
        url = f"http://{settings.slack_host}:{settings.slack_port}{EVENTS_PATH}"
        return [Check(True, f"HTTP mode: signing secret set; Slack must reach {url}")]
    wrong = token_shape(app_token.get_secret_value(), "INFOCHAT_SLACK_APP_TOKEN", "xapp-")
    if wrong is not None:
        return [wrong]
    try:
        await call(client.apps_connections_open(app_token=app_token.get_secret_value()), within)
    except Unanswered as exc:
        return [
            Check(
                False,
                f"Socket Mode: the app-level token opens a connection ({exc.reason})",
                "create a new app-level token with connections:write under Basic Information, "
                "and turn Socket Mode on (Settings → Socket Mode)",
            )
        ]
    return [Check(True, "Socket Mode: the app-level token opens a connection")]


class SlackProbe:
    """One community's Slack setup: its channels exist, aren't archived and have the app
    in them; the moderators' user group exists. Works with the running adapter's client."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        mapped: Mapping[str, str] | None = None,
        moderators: Literal["channel", "usergroup", "admins"] = "channel",
        moderator_group: str = "",
        bot_name: str = "",
        within: float = CALL_TIMEOUT,
    ) -> None:
        self.client = client
        self.mapped = dict(mapped or {})  # channel name → id (INFOCHAT_SLACK_CHANNELS)
        self.moderators = moderators
        self.moderator_group = moderator_group
        self.bot_name = bot_name
        self.within = within

    async def check(self, community: CommunityRef, settings: CommunitySettings) -> list[Check]:
        try:
            return await self._check(settings)
        except Exception as exc:  # the protocol: a ✘ line, never an exception
            log.exception("slack: the setup checks of %s failed", community.external_id)
            fix = "see the log; check the bot token and INFOCHAT_SLACK_API_URL"
            return [Check(False, f"Slack's setup can be checked ({type(exc).__name__})", fix)]

    async def _check(self, settings: CommunitySettings) -> list[Check]:
        bot = self.bot_name or await self._bot_name()
        listed: dict[str, dict[str, Any]] | None = None
        checks: list[Check] = []
        for setting in ("moderators_channel", "digest_channel"):
            name = str(getattr(settings, setting)).lstrip("#")
            try:
                if name in self.mapped:
                    found = await self._info(self.mapped[name])
                else:
                    if listed is None:
                        listed = await self._list()
                    found = listed.get(name)
            except Unanswered as exc:
                checks.append(
                    Check(False, f"#{name} can be looked up ({exc.reason})", _lookup_fix(exc))
                )
                continue
            checks.append(_channel_check(name, setting, found, bot, self.mapped.get(name)))
        checks.append(await self._moderators_check(settings))
        return checks

    async def _bot_name(self) -> str:
        try:
            return str((await call(self.client.auth_test(), self.within)).get("user") or "")
        except Unanswered:
            return "infochat"

    async def _info(self, channel_id: str) -> dict[str, Any] | None:
        try:
            response = await call(self.client.conversations_info(channel=channel_id), self.within)
        except Unanswered as exc:
            if exc.error == "channel_not_found":
                return None
            raise
        return dict(response.get("channel") or {})

    async def _list(self) -> dict[str, dict[str, Any]]:
        """Every channel the app can see, by name (private ones only once it is in them)."""
        found: dict[str, dict[str, Any]] = {}
        cursor = ""
        for _ in range(MAX_PAGES):
            page = await call(
                self.client.conversations_list(
                    types="public_channel,private_channel", limit=200, cursor=cursor or None
                ),
                self.within,
            )
            for channel in page.get("channels") or ():
                found.setdefault(str(channel.get("name")), dict(channel))
            cursor = next_cursor(page.get("response_metadata"))
            if not cursor:
                break
        return found

    async def _moderators_check(self, settings: CommunitySettings) -> Check:
        channel = settings.moderators_channel
        if self.moderators == "admins":
            return Check(True, "moderators: workspace admins and owners only")
        if self.moderators == "channel":
            return Check(
                True, f"moderators: workspace admins and owners, and members of #{channel}"
            )
        group = self.moderator_group
        try:
            response = await call(self.client.usergroups_list(), self.within)
        except Unanswered as exc:
            return Check(False, f"the moderators' user group {group} exists ({exc.reason})",
                         _lookup_fix(exc))  # fmt: skip
        for found in response.get("usergroups") or ():
            if found.get("id") == group and not found.get("date_delete"):
                return Check(
                    True, f"moderators: workspace admins and owners, and @{found.get('handle')}"
                )
        return Check(
            False,
            f"the moderators' user group {group} exists",
            "create the user group, or set INFOCHAT_SLACK_MODERATOR_GROUP to an existing "
            "group's id (e.g. S0123), or INFOCHAT_SLACK_MODERATORS=admins",
        )


def _channel_check(
    name: str, setting: str, found: Mapping[str, Any] | None, bot: str, mapped_id: str | None
) -> Check:
    change = f"or choose another with /infochat mod settings {setting}=NAME"
    if found is None:
        if mapped_id:
            return Check(
                False,
                f"#{name} exists (INFOCHAT_SLACK_CHANNELS maps it to {mapped_id})",
                f"fix the id in INFOCHAT_SLACK_CHANNELS, or remove it so #{name} is found by name",
            )
        return Check(
            False,
            f"#{name} exists",
            f"create #{name} and type /invite @{bot} there (a private channel shows only once "
            f"the app is in it), {change}",
        )
    if found.get("is_archived"):
        return Check(False, f"#{name} is not archived", f"unarchive #{name}, {change}")
    if not found.get("is_member"):
        return Check(False, f"the app is in #{name}", f"type /invite @{bot} in #{name}")
    return Check(True, f"#{name} exists and the app is in it")


def _lookup_fix(exc: Unanswered) -> str:
    if exc.error == "missing_scope":
        return SCOPES_FIX
    if exc.error:
        return "check the bot token and the app's installation"
    return "check the network and INFOCHAT_SLACK_API_URL"
