"""Thin translators: a slash command, a button click, a modal submit or the App Home tab
becomes one core command with the actor and an idempotency key; the reply is shown
privately. `ack()` comes first, before any database or Web API work."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.slack.acks import AckFirst
from adapters.slack.modals import metadata, options, picked_members, submitted
from adapters.slack.moderators import Moderators
from adapters.slack.render import clicked, from_slack
from adapters.slack.replies import Replies, Respond
from adapters.slack.seen import Seen
from adapters.slack.users import Person
from bot.app import Infochat
from bot.commands import Actor, Command, CommunityRef, is_moderator_action, parse_text
from bot.errors import UserError
from bot.views import Reply

Body = dict[str, Any]
GENERIC = "Sorry, that didn't work. Please try again."
HOME = "home"


class Handlers:
    def __init__(
        self, core: Infochat, moderators: Moderators, replies: Replies, acks: AckFirst
    ) -> None:
        self.core = core
        self.moderators = moderators
        self.replies = replies
        self.acks = acks
        self.users = moderators.users
        self.events = Seen()

    async def actor(self, team: Body, user: Body, action: str) -> Actor:
        """After the ack: the member's name from Slack (through the cache) and, for a
        moderator action only, the moderator check."""
        user_id = str(user.get("id", ""))
        person = await self.users.get(user_id)
        if is_moderator_action(action):
            moderator = await self.moderators.is_moderator(user_id)
        else:
            moderator = bool(self.moderators.known(user_id))
        return _actor(team, user, person, moderator)

    async def actor_before_ack(self, team: Body, user: Body, action: str) -> Actor:
        """On the way to an ack: what the caches know, however old. Only a moderator
        action the caches know nothing about asks Slack (its form was opened after a
        restart); a form's button warms the caches when it opens the form."""
        user_id = str(user.get("id", ""))
        moderator = self.moderators.known(user_id)
        if moderator is None and is_moderator_action(action):
            moderator = await self.moderators.is_moderator(user_id)
        return _actor(team, user, self.users.cached(user_id), bool(moderator))

    async def on_command(self, ack: AsyncAck, body: Body) -> None:
        await ack()
        await self.acks.wait()
        respond = self.replies.responder(body.get("response_url"))
        team = {"id": body.get("team_id", ""), "domain": body.get("team_domain", "")}
        text = from_slack(str(body.get("text", "")))
        user = {"id": body.get("user_id"), "name": body.get("user_name")}
        actor = await self.actor(team, user, _action_of(text))
        trigger_id = str(body.get("trigger_id", ""))
        key = _key(actor, trigger_id)
        reply = await self.core.dispatch_text(actor, text, key)
        if reply.replay:  # answered when it was first delivered
            return
        await self._show(actor, reply, respond, trigger_id)

    async def on_action(self, ack: AsyncAck, body: Body) -> None:
        await ack()
        await self.acks.wait()
        respond = self.replies.responder(body.get("response_url"))
        clicked_action = (body.get("actions") or [{}])[0]
        action, target, form = clicked(str(clicked_action.get("value", "")))
        trigger_id = str(body.get("trigger_id", ""))
        origin = _origin(body)
        if form is not None:
            await self.replies.open_form(trigger_id, form, origin)
            await self.actor(body.get("team") or {}, body.get("user") or {}, action)  # warm
            return
        actor = await self.actor(body.get("team") or {}, body.get("user") or {}, action)
        stamp = clicked_action.get("action_ts") or trigger_id
        key = _key(actor, str(stamp), str(clicked_action.get("action_id", "")))
        reply = await self.core.dispatch(Command(actor, action, key, target, {}))
        if reply.replay:  # a retried click: shown when it was first delivered
            return
        if reply.update is not None and origin.get("ts"):
            await self.replies.replace(origin["channel"], origin["ts"], reply.update)
        elif reply.update is not None and respond is not None and not origin.get(HOME):
            await self.replies.replace_ephemeral(respond, reply.update)
        home = {HOME: "1"} if origin.get(HOME) else None  # a form it opens refreshes the tab
        await self._show(actor, reply, None if home else respond, trigger_id, home)
        if home and reply.form is None:  # with a form, its submit refreshes the tab
            await self.publish_home(actor, f"{stamp}:{actor.user_id}")

    async def on_submit(self, ack: AsyncAck, body: Body) -> None:
        view = body.get("view") or {}
        action, target, values = submitted(view)
        for field, user_id in picked_members(view).items():  # named until they first act
            picked = self.users.cached(user_id)  # read when it was picked (`on_picked`)
            values[f"{field}_name"] = picked.name if picked else ""
        actor = await self.actor_before_ack(body.get("team") or {}, body.get("user") or {}, action)
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]
        key = _key(actor, "view", str(view.get("id", "")), digest)
        reply = await self.core.dispatch(Command(actor, action, key, target, values))
        if not reply.ok and reply.update is None:  # a stale form closes (see below)
            await ack(response_action="errors", errors=_errors(reply, view))
            return
        await ack()
        if reply.replay:  # the answer to the submit is all a retry gets
            return
        meta = metadata(view)
        if reply.update is not None and meta.get("channel") and meta.get("ts"):
            await self.replies.replace(meta["channel"], meta["ts"], reply.update)
        for message in reply.messages:
            await self.replies.post(actor.user_id, message)
        if meta.get(HOME):
            await self.publish_home(actor, f"{view.get('id', '')}:{digest}")

    async def on_picked(self, ack: AsyncAck, body: Body) -> None:
        """A member picked in a form (its input dispatches the pick): their name is read
        now, so the form's submit finds it cached and waits for nothing."""
        await ack()
        for picked in body.get("actions") or ():
            if picked.get("selected_user"):
                await self.users.get(str(picked["selected_user"]))

    async def on_options(self, ack: AsyncAck, body: Body) -> None:
        """Options for an external select (time zone, topic) as the member types."""
        actor = _actor(body.get("team") or {}, body.get("user") or {}, None, False)
        field, typed = str(body.get("block_id", "")), str(body.get("value", ""))[:100]
        await ack(options=options(field, typed, await self.core.suggest(actor, field, typed)))

    async def on_home_opened(self, body: Body, event: Body) -> None:
        if event.get("tab") != HOME or not self.events.first_time(str(body.get("event_id", ""))):
            return
        team = {"id": body.get("team_id", "")}
        actor = await self.actor(team, {"id": event.get("user")}, "member.home")
        await self.publish_home(actor, str(body.get("event_id", "")))

    async def publish_home(self, actor: Actor, stamp: str) -> None:
        command = Command(actor, "member.home", _key(actor, "home", stamp))
        reply = await self.core.dispatch(command)
        await self.replies.home(actor.user_id, reply.messages)

    async def _show(
        self,
        actor: Actor,
        reply: Reply,
        respond: Respond | None,
        trigger_id: str,
        origin: dict[str, str] | None = None,
    ) -> None:
        if reply.form is not None:
            await self.replies.open_form(trigger_id, reply.form, origin)
        for message in reply.messages:
            await self.replies.private(actor.user_id, message, respond)


def _key(actor: Actor, *ids: str) -> str:
    """An idempotency key unique by construction: the workspace and member, then Slack's ids
    of what they did (Slack's ids are unique only within a workspace, or not at all)."""
    return ":".join(("slack", actor.community.external_id, actor.user_id, *ids))


def _actor(team: Body, user: Body, person: Person | None, moderator: bool) -> Actor:
    """The name Slack shows for the member; the payload's handle only when Slack hasn't
    said yet."""
    community = CommunityRef("slack", str(team.get("id", "")), str(team.get("domain", "")))
    user_id = str(user.get("id", ""))
    handle = str(user.get("username") or user.get("name") or user_id)
    return Actor(community, user_id, (person and person.name) or handle, is_moderator=moderator)


def _action_of(text: str) -> str:
    try:
        return parse_text(text).action
    except UserError:
        return ""


def _origin(body: Body) -> dict[str, str]:
    """Where the click happened: a message (channel, ts), the home tab, or an ephemeral
    message (empty: it can only be replaced through the response URL)."""
    container = body.get("container") or {}
    if container.get("type") == "view":
        view = body.get("view") or {}
        return {HOME: "1"} if view.get("type") == HOME else {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return {}
    if isinstance(channel, str) and isinstance(ts, str) and channel and ts:
        return {"channel": channel, "ts": ts}
    return {}


def _errors(reply: Reply, view: Body) -> dict[str, str]:
    """Field errors by block id; a refusal without one goes on the first input."""
    block_ids = [str(b.get("block_id")) for b in view.get("blocks", []) if isinstance(b, dict)]
    errors = {name: text for name, text in reply.field_errors.items() if name in block_ids}
    if not errors and block_ids:
        text = reply.messages[0].text if reply.messages else GENERIC
        errors[block_ids[0]] = text[:1900]
    return errors
