"""Pay it forward (R11): after a seeker's N-th completed chat (`invite_after_chats`, 0 = never)
they are invited, once, to volunteer, with their own story as the reason.

The invitation is a due job keyed by the member, so it goes out once per member however many
chats they complete; it waits a day so it doesn't arrive with the thank-you.
"""

from __future__ import annotations

from datetime import timedelta

from bot.jobs import JobHandler
from bot.services.context import Scope
from bot.storage import followups as intro_store
from bot.storage import jobs
from bot.storage import members as member_store
from bot.storage import requests as request_store
from bot.storage import volunteers as volunteer_store
from bot.storage.jobs import Job
from bot.text import shorten
from bot.views import Line, Message

KIND = "volunteer.invite"
PERIOD = "pay-it-forward"
DELAY = timedelta(days=1)


async def is_volunteer(scope: Scope, member_id: int) -> bool:
    profile = await volunteer_store.get_profile(scope.conn, member_id)
    return profile is not None and profile.active


async def consider(scope: Scope, seeker_id: int) -> None:
    """A chat of `seeker_id` was just completed: invite them if it was their N-th."""
    wanted = scope.settings.invite_after_chats
    if wanted == 0 or await is_volunteer(scope, seeker_id):
        return
    if await intro_store.completed_as_seeker(scope.conn, seeker_id) >= wanted:
        await jobs.schedule(
            scope.conn, scope.community.id, KIND, seeker_id, scope.now + DELAY, scope.now, PERIOD
        )


async def invite(scope: Scope, job: Job) -> None:
    member_id = int(job.target)
    if await is_volunteer(scope, member_id):
        return  # they joined meanwhile
    intro = await intro_store.latest_completed_as_seeker(scope.conn, member_id)
    if intro is None:
        return
    request = await request_store.get_request(scope.conn, intro.request_id)
    assert request is not None
    seeker = await member_store.get_member(scope.conn, member_id)
    volunteer = await member_store.get_member(scope.conn, intro.volunteer_id)
    topic = request.fields.topic
    minutes = scope.settings.default_minutes
    await scope.dm(
        seeker.id,
        Message(
            title="Your story could help the next person",
            text=(
                f"You had a chat about {topic} with {volunteer.display_name}. Someone in the "
                f"community will want {minutes} minutes of your story: what made you curious "
                f"about {topic}, and what you did about it. Would you offer a chat now and then?"
            ),
            lines=(
                Line(label="Why you asked, in your words", value=shorten(request.fields.why, 300)),
                Line(
                    label="How",
                    value="`/infochat volunteer join` takes a minute: you choose your topics and "
                    "how many chats a month, and you can pause or leave any time.",
                ),
            ),
        ),
    )


JOBS: dict[str, JobHandler] = {KIND: invite}
