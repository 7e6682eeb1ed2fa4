"""The outbox transport against the fake Web API: DMs, channels, groups, 429 and dead ends."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from adapters.slack.app import web_client
from adapters.slack.channels import LOOK_AGAIN_AFTER, Channels
from adapters.slack.transport import SlackTransport
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.outbox import enqueue
from bot.storage.schema import outbox
from bot.views import Attachment, Destination, Message
from tests.adapters.slack.clicks import press
from tests.adapters.slack.harness import COMMUNITY, Slack
from tests.adapters.slack.test_every_button import introduce

HELLO = Message(text="Hello <!channel> & friends", title="Hi")


def transport(slack: Slack) -> SlackTransport:
    return SlackTransport(web_client("xoxb-test", f"{slack.fake.url}api/"))


async def test_member_channel_and_group_destinations(slack: Slack) -> None:
    sender = transport(slack)
    await sender.deliver(COMMUNITY, Destination(kind="member", user_ids=("UA",)), HELLO, 1)
    await sender.deliver(COMMUNITY, Destination(kind="channel", channel="moderators"), HELLO, 2)
    await sender.deliver(COMMUNITY, Destination(kind="channel", channel="moderators"), HELLO, 3)
    group = Destination(kind="group", user_ids=("UA", "UB"), channel="introductions")
    await sender.deliver(COMMUNITY, group, HELLO, 4)
    await sender.deliver(COMMUNITY, group, HELLO, 4)  # a redelivery of the same row
    posts = [c.params["channel"] for c in slack.fake.of("chat.postMessage")]
    assert posts == ["DUA", "C0MODS", "C0MODS", "GUA-UB"]
    assert len(slack.fake.of("conversations.list")) == 1  # looked up once, then cached
    text = slack.fake.of("chat.postMessage")[0].params["text"]
    assert "&lt;" in text and "&amp;" in text and "<!channel>" not in text


async def test_rate_limit_becomes_a_retry_after(slack: Slack) -> None:
    slack.fake.fail("chat.postMessage", 429, {"Retry-After": "7"}, ok=False, error="ratelimited")
    with pytest.raises(DeliveryError) as caught:
        await transport(slack).deliver(
            COMMUNITY, Destination(kind="member", user_ids=("UA",)), HELLO, 1
        )
    assert caught.value.retry_after == 7.0


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("chat.postMessage", "channel_not_found"),
        ("conversations.open", "user_not_found"),
        ("chat.postMessage", "account_inactive"),
        ("chat.postMessage", "is_archived"),
    ],
)
async def test_dead_ends_are_permanent_and_logged(
    slack: Slack, caplog: pytest.LogCaptureFixture, method: str, error: str
) -> None:
    slack.fake.fail(method, ok=False, error=error)
    with caplog.at_level(logging.ERROR), pytest.raises(PermanentDeliveryError):
        await transport(slack).deliver(
            COMMUNITY, Destination(kind="member", user_ids=("UA",)), HELLO, 1
        )
    assert error in caplog.text


async def test_unknown_channel_without_admins_is_permanent(slack: Slack) -> None:
    slack.fake.admins = set()
    with pytest.raises(PermanentDeliveryError):
        await transport(slack).deliver(
            COMMUNITY, Destination(kind="channel", channel="nope"), HELLO, 1
        )


async def test_a_channel_the_bot_cant_post_in_goes_to_workspace_admins_by_dm(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fake.admins = {"UADMIN", "UOWNER"}
    sender = transport(slack)
    with caplog.at_level(logging.ERROR):
        await sender.deliver(COMMUNITY, Destination(kind="channel", channel="nope"), HELLO, 1)
    posts = [(c.params["channel"], c.params["text"]) for c in slack.fake.of("chat.postMessage")]
    assert {channel for channel, _ in posts} == {"DUADMIN", "DUOWNER"}  # never the bot
    notes = [text for _, text in posts if "couldn't post this in #nope" in text]
    assert len(notes) == 2 and "/invite @infochat" in notes[0]
    assert "sent to workspace admins" in caplog.text
    # The bot not invited to an existing channel: the same fallback.
    slack.fake.fail("chat.postMessage", ok=False, error="not_in_channel")
    await sender.deliver(COMMUNITY, Destination(kind="channel", channel="moderators"), HELLO, 2)
    assert any("not_in_channel" in c.params["text"] for c in slack.fake.of("chat.postMessage"))


async def test_a_channel_created_later_is_found_without_a_restart(slack: Slack) -> None:
    slack.fake.admins = set()
    clock = [0.0]
    sender = SlackTransport(
        web_client("xoxb-test", f"{slack.fake.url}api/"),
        Channels(web_client("xoxb-test", f"{slack.fake.url}api/"), monotonic=lambda: clock[0]),
    )
    with pytest.raises(PermanentDeliveryError):
        await sender.deliver(COMMUNITY, Destination(kind="channel", channel="later"), HELLO, 1)
    slack.fake.channels["later"] = "C0LATER"
    clock[0] += LOOK_AGAIN_AFTER
    await sender.deliver(COMMUNITY, Destination(kind="channel", channel="later"), HELLO, 2)
    assert slack.fake.of("chat.postMessage")[-1].params["channel"] == "C0LATER"


async def test_a_failed_attachment_upload_is_skipped_not_fatal(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fake.fail("files.getUploadURLExternal", ok=False, error="not_allowed_token_type")
    data = base64.b64encode(b"BEGIN:VCALENDAR").decode()
    message = Message(
        text="Invite",
        attachments=(Attachment(filename="chat.ics", content_type="text/calendar", data=data),),
    )
    with caplog.at_level(logging.WARNING):
        await transport(slack).deliver(
            COMMUNITY, Destination(kind="member", user_ids=("UA",)), message, 1
        )
    message, note = slack.fake.of("chat.postMessage")
    assert message.params["text"] == "Invite" and "couldn't be attached" in note.params["text"]
    assert "chat.ics not uploaded" in caplog.text


async def test_the_outbox_retries_after_a_429(slack: Slack) -> None:
    await slack.setup("USAM", "help")  # the community exists
    async with slack.core.db.transaction() as conn:
        await enqueue(
            conn, 1, Destination(kind="member", user_ids=("USAM",)), HELLO, slack.clock.now()
        )
    slack.fake.fail("chat.postMessage", 429, {"Retry-After": "30"}, ok=False, error="ratelimited")
    assert await slack.worker.drain() == 0
    slack.clock.advance(timedelta(seconds=29))
    assert await slack.worker.drain() == 0  # still waiting out Retry-After
    slack.clock.advance(timedelta(seconds=1))
    assert await slack.worker.drain() == 1
    assert len(slack.fake.of("chat.postMessage")) == 2
    async with slack.core.db.transaction() as conn:
        row = (await conn.execute(sa.select(outbox.c.status, outbox.c.attempts))).one()
    assert (row.status, row.attempts) == ("sent", 2)


async def test_a_group_dm_that_cant_be_opened_reaches_each_member_alone(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fake.fail("conversations.open", ok=False, error="user_not_found")
    group = Destination(kind="group", user_ids=("UA", "UB"))
    with caplog.at_level(logging.WARNING):
        await transport(slack).deliver(COMMUNITY, group, HELLO, 1)
    assert [c.params["channel"] for c in slack.fake.of("chat.postMessage")] == ["DUA", "DUB"]
    assert "no group DM with UA, UB" in caplog.text and "sent to UA, UB separately" in caplog.text


async def test_a_group_nobody_can_be_reached_in_is_given_up_with_a_log_line(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        slack.fake.fail("conversations.open", ok=False, error="account_inactive")
    group = Destination(kind="group", user_ids=("UA", "UB"))
    with caplog.at_level(logging.WARNING), pytest.raises(PermanentDeliveryError):
        await transport(slack).deliver(COMMUNITY, group, HELLO, 1)
    assert "giving up" in caplog.text and not slack.fake.of("chat.postMessage")


async def test_the_introduction_goes_out_when_its_invite_cant_be_uploaded(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    await introduce(slack)
    slack.fake.fail("files.getUploadURLExternal", ok=False, error="not_allowed_token_type")
    with caplog.at_level(logging.WARNING):
        _, click = await press(slack, "USAM", "Slot 1")
    group = [c for c in click.of("chat.postMessage") if c.params["channel"].startswith("G")]
    assert "It's a date" in str(group[0].params)
    assert "infochat-1.ics couldn't be attached" in group[-1].params["text"]
    assert "attachment infochat-1.ics not uploaded" in caplog.text
    assert "not_allowed_token_type" in caplog.text
    async with slack.core.db.transaction() as conn:
        statuses = set((await conn.execute(sa.select(outbox.c.status))).scalars())
    assert statuses == {"sent"}  # nothing lost, nothing left to retry
    assert not slack.fake.of("files.completeUploadExternal")
