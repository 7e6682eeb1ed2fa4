"""Follow up once, then move on (R7): a reminder to a silent volunteer, then the ask lapses and
the request goes to the next candidate; a request past its overall expiry closes kindly."""

from __future__ import annotations

from bot.domain.models import AskStatus, RequestStatus
from bot.jobs import JobHandler
from bot.services import flow, render
from bot.services.context import Scope
from bot.storage import jobs
from bot.storage import members as member_store
from bot.storage import requests as store
from bot.storage.jobs import Job
from bot.views import Message


async def remind(scope: Scope, job: Job) -> None:
    ask = await store.get_ask(scope.conn, int(job.target))
    if ask is None or ask.status is not AskStatus.ASKED:
        return  # answered meanwhile: nothing to remind
    if await jobs.overdue(scope.conn, "ask.expire", ask.id, scope.now):
        return  # run late after downtime: the ask lapses now, a reminder would only confuse
    request = await store.get_request(scope.conn, ask.request_id)
    assert request is not None
    if not await store.mark_reminded(scope.conn, ask.id, scope.now):
        return
    volunteer = await member_store.get_member(scope.conn, ask.volunteer_id)
    seeker = await member_store.get_member(scope.conn, request.seeker_id)
    original = render.ask_message(ask.id, request, seeker, ask.note)
    days = scope.settings.ask_expiry_days - scope.settings.reminder_after_days
    await scope.dm(
        volunteer.id,
        original.model_copy(
            update={
                "title": f"A gentle reminder: {original.title}",
                "text": f"Just once: {seeker.display_name}'s ask is still open. Any answer helps, "
                f"“not right now” included. It lapses by itself in {days} days. " + original.text,
            }
        ),
    )


async def expire_ask(scope: Scope, job: Job) -> None:
    ask = await store.get_ask(scope.conn, int(job.target))
    if ask is None or ask.status is not AskStatus.ASKED:
        return
    if not await store.transition_ask(scope.conn, ask.id, AskStatus.EXPIRED, scope.now):
        return
    volunteer = await member_store.get_member(scope.conn, ask.volunteer_id)
    await scope.dm(
        volunteer.id,
        Message(text=f"Ask #{ask.id} has lapsed and was passed on; no need to answer it now."),
    )
    await flow.move_on(scope, ask.request_id)


async def expire_request(scope: Scope, job: Job) -> None:
    request = await store.get_request(scope.conn, int(job.target))
    if request is None or request.status is not RequestStatus.OPEN:
        return
    seeker = await member_store.get_member(scope.conn, request.seeker_id)
    await flow.close(scope, request, "expired", seeker)


JOBS: dict[str, JobHandler] = {
    "ask.remind": remind,
    "ask.expire": expire_ask,
    "request.expire": expire_request,
}
