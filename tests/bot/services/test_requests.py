"""The seeker's side: the coach, limits, picking, status and cancelling, and every refusal."""

from __future__ import annotations

from tests.support import GOOD_REQUEST, World, button, count, join_all, replay_of, text_of

VAGUE = (
    '/infochat request topic="data engineering" '
    'why="I would love to pick your brain about data engineering and what you do" '
    'q="What does a typical week look like in your role?" '
    'q="Which skills mattered most when you moved into data engineering?"'
)


async def test_no_fields_opens_the_form_and_stores_nothing(world: World) -> None:
    reply = await world.say("sam", "/infochat request")
    assert reply.ok and reply.form is not None
    assert reply.form.action == "request.create"
    assert {f.name for f in reply.form.fields} >= {"topic", "why", "questions", "minutes"}
    assert await count(world, "requests") == 0


async def test_blocking_findings_change_nothing(world: World) -> None:
    await join_all(world)
    reply = await world.say(
        "sam", '/infochat request topic="data engineering" why="help" q="Can you refer me?"'
    )
    assert not reply.ok
    assert "why" in reply.field_errors and "questions" in reply.field_errors
    assert await count(world, "requests") == 0
    assert world.transport.sent == []


async def test_job_ask_is_blocked_with_an_information_seeking_suggestion(world: World) -> None:
    await join_all(world)
    reply = await world.say(
        "sam", GOOD_REQUEST + ' q="Could you refer me for a job at your company?"'
    )
    assert not reply.ok
    assert "typical week" in reply.messages[0].text


async def test_warnings_make_a_draft_that_can_be_sent_anyway(world: World) -> None:
    await join_all(world)
    reply = await world.say("sam", VAGUE)
    assert reply.ok
    draft = reply.messages[0]
    assert "suggestions" in (draft.title or "")
    assert await count(world, "requests", status="draft") == 1
    sent = await world.press("sam", button(draft, "Send anyway"))
    assert sent.ok and sent.update is not None
    assert await count(world, "requests", status="open") == 1
    again = await world.press("sam", button(draft, "Send anyway"))
    assert not again.ok and "already sent" in again.messages[0].text


async def test_an_edited_request_replaces_the_unsent_draft(world: World) -> None:
    await join_all(world)
    draft = (await world.say("sam", VAGUE)).messages[0]
    kept = button(draft, "Discard").target
    assert (await world.say("sam", VAGUE)).ok  # another draft: both are kept
    assert await count(world, "requests", status="draft") == 2
    await world.say("sam", "/infochat cancel 2")
    assert not (await world.say("sam", f"{GOOD_REQUEST} replaces=99")).ok  # not theirs
    assert (await world.say("sam", f"{GOOD_REQUEST} replaces={kept}")).ok  # edited, sent again
    assert await count(world, "requests", status="draft") == 0
    assert await count(world, "requests", status="closed", close_reason="discarded") == 1
    assert await count(world, "requests", status="open") == 1
    late = await world.press("sam", button(draft, "Send anyway"))
    assert not late.ok and late.stale  # the old draft's buttons go


async def test_a_kept_draft_is_named_and_status_shows_how_to_send_or_discard_it(
    world: World,
) -> None:
    await join_all(world)
    kept = (await world.say("sam", VAGUE)).messages[0]
    assert "#1" in (kept.title or "") and "replaces=1" in kept.text
    status = (await world.say("sam", "/infochat status")).messages[0]
    assert "no requests yet" not in status.text
    assert "#1 data engineering" in text_of(status) and "draft" in text_of(status)
    assert "replaces=1" in status.text
    assert [b.label for b in status.buttons] == ["Send #1 as it is", "Discard #1"]
    assert (await world.press("sam", button(status, "Send #1"))).ok
    assert await count(world, "requests", status="open") == 1
    after = (await world.say("sam", "/infochat status")).messages[0]
    assert not after.buttons and "replaces=" not in after.text


async def test_override_sends_directly_and_discard_closes_a_draft(world: World) -> None:
    await join_all(world)
    assert (await world.say("sam", VAGUE + " override=yes")).ok
    assert await count(world, "requests", status="open") == 1
    draft = (await world.say("sam", VAGUE)).messages[0]
    assert (await world.press("sam", button(draft, "Discard"))).ok
    assert await count(world, "requests", status="closed") == 1


async def test_open_request_limit(world: World) -> None:
    await join_all(world)
    for _ in range(3):
        assert (await world.say("sam", GOOD_REQUEST)).ok
    reply = await world.say("sam", GOOD_REQUEST)
    assert not reply.ok and "3 open requests" in reply.messages[0].text
    assert await count(world, "requests") == 3


async def test_bad_fields_are_refused_clearly(world: World) -> None:
    await join_all(world)
    cases = {
        GOOD_REQUEST + " colour=blue": "don't know the field",
        GOOD_REQUEST.replace("minutes=15", "minutes=abc"): "minutes",
        GOOD_REQUEST.replace("minutes=15", "minutes=45"): "30",
        GOOD_REQUEST + " minutes=20": "only once",
        GOOD_REQUEST + " format=smoke-signals": "format",
        GOOD_REQUEST + " within=forever": "time_frame",
        GOOD_REQUEST.replace('topic="data engineering"', 'topic="' + "x" * 500 + '"'): "under 100",
        '/infochat request topic="data" why="unbalanced': "quotes",
    }
    for text, expected in cases.items():
        reply = await world.say("sam", text)
        assert not reply.ok, text
        assert expected in reply.messages[0].text, (text, reply.messages[0].text)
    assert await count(world, "requests") == 0


async def test_control_characters_and_unicode_are_cleaned(world: World) -> None:
    await join_all(world)
    reply = await world.say(
        "sam", GOOD_REQUEST.replace("data engineering", "data\u0000 engineering\u202e", 1)
    )
    assert reply.ok
    assert "\u0000" not in text_of(reply.messages[0]) and "\u202e" not in text_of(reply.messages[0])


async def test_specific_person(world: World) -> None:
    await join_all(world)
    not_volunteer = await world.say("sam", GOOD_REQUEST + " person=@nobody")
    assert not not_volunteer.ok and "person" in not_volunteer.field_errors
    self_ask = await world.say("priya", GOOD_REQUEST + " person=priya")
    assert not self_ask.ok
    reply = await world.say("sam", GOOD_REQUEST + " person=@bob")
    assert reply.ok and "asked" in reply.messages[0].text
    assert world.last_with_buttons("bob").buttons[0].label == "Accept"


async def test_no_match_closes_kindly(world: World) -> None:
    await join_all(world)
    reply = await world.say(
        "sam", GOOD_REQUEST.replace('topic="data engineering"', 'topic="beekeeping"')
    )
    assert reply.ok and "wider topic" in reply.messages[0].text
    assert await count(world, "requests", status="closed") == 1
    assert world.inbox("sam") == []  # said once, in the reply: not again as a DM


async def test_a_pick_with_nobody_left_says_so_once(world: World) -> None:
    await join_all(world, ("priya",))
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    assert (await world.say("priya", "/infochat volunteer pause")).ok
    reply = await world.press("sam", button(suggestions, "Let the bot choose"))
    assert reply.ok and "nobody was free" in reply.messages[0].text
    assert await count(world, "requests", status="closed", close_reason="no_one_left") == 1
    assert world.inbox("sam") == []


async def test_widening_to_adjacent_topics(world: World) -> None:
    await join_all(world, ("chen",))
    reply = await world.say("sam", GOOD_REQUEST)
    assert reply.ok
    assert "close fields" in reply.messages[0].text
    assert "Chen" in text_of(reply.messages[0])


async def test_pick_refusals(world: World) -> None:
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    stranger = await world.press("eve", button(suggestions, "Let the bot choose"))
    assert not stranger.ok and "no request #1" in stranger.messages[0].text
    not_candidate = await world.act("sam", "request.pick", "1:9999")
    assert not not_candidate.ok
    assert (await world.press("sam", button(suggestions, "Ask Priya"))).ok
    twice = await world.press("sam", button(suggestions, "Let the bot choose"))
    assert not twice.ok and "already with a volunteer" in twice.messages[0].text
    assert await count(world, "asks") == 1


async def test_status_and_cancel(world: World) -> None:
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    await world.press("sam", button(suggestions, "Ask Priya"))
    status = await world.say("sam", "/infochat status")
    assert "waiting for the volunteer" in text_of(status.messages[0])
    assert not (await world.say("eve", "/infochat cancel 1")).ok
    assert not (await world.say("sam", "/infochat cancel abc")).ok
    assert not (await world.say("sam", "/infochat cancel 99")).ok
    reply = await world.say("sam", "/infochat cancel 1")
    assert reply.ok
    assert "No need to answer" in world.inbox("priya")[-1].text
    ask = next(m for m in world.inbox("priya") if m.buttons)
    late = await world.press("priya", button(ask, "Accept"))
    assert not late.ok and "withdrawn" in late.messages[0].text
    assert await count(world, "introductions") == 0
    assert not (await world.say("sam", "/infochat cancel 1")).ok


async def test_cancelling_an_introduced_request_is_refused(world: World) -> None:
    await join_all(world)
    suggestions = (await world.say("sam", GOOD_REQUEST)).messages[0]
    await world.press("sam", button(suggestions, "Ask Priya"))
    await world.press("priya", button(world.last_with_buttons("priya"), "Accept"))
    reply = await world.say("sam", "/infochat cancel 1")
    assert not reply.ok and "introduced" in reply.messages[0].text


async def test_repeated_key_returns_the_first_reply_and_changes_nothing(world: World) -> None:
    await join_all(world)
    first = await world.say("sam", GOOD_REQUEST, key="same-key")
    second = await world.say("sam", GOOD_REQUEST, key="same-key")
    assert replay_of(second, first)
    assert await count(world, "requests") == 1


async def test_mass_mentions_never_reach_anyone(world: World) -> None:
    await join_all(world)
    text = GOOD_REQUEST.replace(
        "I am a backend", "@everyone <!channel> <@U123> @here I am a backend"
    )
    suggestions = (await world.say("sam", text)).messages[0]
    await world.press("sam", button(suggestions, "Ask Priya"))
    ask = text_of(world.last_with_buttons("priya"))
    for trigger in ("@everyone", "<!channel>", "<@U123>", "@here"):
        assert trigger not in ask
    assert "everyone" in ask


async def test_unknown_action_and_missing_key(world: World) -> None:
    assert not (await world.act("sam", "request.explode")).ok
    assert not (await world.act("sam", "help", key="")).ok
    assert not (await world.say("sam", "/infochat dance")).ok
