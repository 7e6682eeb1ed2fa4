from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.coach import review
from bot.domain.community import CommunitySettings
from bot.domain.models import Finding, RequestFields, Severity

SETTINGS = CommunitySettings()
GOOD = RequestFields(
    topic="UX research",
    why="I taught maths for six years and want to move into UX research; your talk on "
    "interviewing children made me curious how you work.",
    questions=(
        "What does a typical week look like in your role?",
        "How did you run your first research project?",
        "Which skills from teaching turned out to be useful?",
    ),
    minutes=15,
    format="video",
    time_frame_days=21,
)


def findings(**changes: object) -> dict[str, Finding]:
    return {f.code: f for f in review(replace(GOOD, **changes), SETTINGS)}  # type: ignore[arg-type]


def codes(**changes: object) -> set[str]:
    return set(findings(**changes))


def assert_one(code: str, severity: Severity, field: str, **changes: object) -> Finding:
    found = findings(**changes)
    assert code in found, found
    assert found[code].severity is severity
    assert found[code].field == field
    return found[code]


def test_a_good_request_has_no_findings() -> None:
    assert review(GOOD, SETTINGS) == ()


def test_messages_speak_to_the_seeker_briefly() -> None:
    bad = replace(GOOD, topic="", why="hire me", questions=("Is it fun",), minutes=90)
    result = review(bad, SETTINGS)
    assert result
    for finding in result:
        assert "you" in finding.message.casefold()
        assert finding.message.count(". ") <= 2
        assert finding.field in {"topic", "why", "questions", "minutes", "format"}


def test_blocking_findings_come_first() -> None:
    result = review(replace(GOOD, minutes=25, why="x"), SETTINGS)
    severities = [f.severity for f in result]
    assert severities == sorted(severities, key=lambda s: s is not Severity.BLOCKING)
    assert severities[0] is Severity.BLOCKING


# Blocking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["", " ", "x"])
def test_topic_missing(topic: str) -> None:
    assert_one("topic_missing", Severity.BLOCKING, "topic", topic=topic)


def test_two_letter_topic_is_enough() -> None:
    assert "topic_missing" not in codes(topic="HR")


def test_why_too_short() -> None:
    finding = assert_one("why_too_short", Severity.BLOCKING, "why", why="I like design a lot.")
    assert "background" in finding.message


def test_why_of_forty_characters_is_long_enough() -> None:
    why = "I studied psychology and love research!!"
    assert len(why) == 40
    assert "why_too_short" not in codes(why=why)


@pytest.mark.parametrize("count", [0, 1])
def test_too_few_questions(count: int) -> None:
    questions = GOOD.questions[:count]
    assert_one("questions_too_few", Severity.BLOCKING, "questions", questions=questions)


def test_blank_questions_do_not_count() -> None:
    assert "questions_too_few" in codes(questions=(GOOD.questions[0], "  "))


def test_too_many_questions() -> None:
    questions = (*GOOD.questions, "Where do you see the field going next?")
    assert_one("questions_too_many", Severity.BLOCKING, "questions", questions=questions)


def test_two_questions_are_fine() -> None:
    assert codes(questions=GOOD.questions[:2]) == set()


def test_duplicate_questions_ignore_case_and_punctuation() -> None:
    questions = ("What skills matter most?", "what skills, matter most")
    assert_one("questions_duplicate", Severity.BLOCKING, "questions", questions=questions)


def test_minutes_above_the_community_maximum() -> None:
    finding = assert_one("minutes_too_long", Severity.BLOCKING, "minutes", minutes=31)
    assert "30" in finding.message


def test_minutes_maximum_follows_the_settings() -> None:
    strict = CommunitySettings(max_minutes=10, default_minutes=10)
    assert [f.code for f in review(replace(GOOD, minutes=15), strict)] == ["minutes_too_long"]
    assert review(replace(GOOD, minutes=10), strict) == ()


def test_minutes_below_five() -> None:
    assert_one("minutes_too_short", Severity.BLOCKING, "minutes", minutes=4)
    assert codes(minutes=5) == set()


def test_unknown_format() -> None:
    assert_one("format_unknown", Severity.BLOCKING, "format", format="fax")


@pytest.mark.parametrize(
    "ask",
    [
        "Would you hire me for your team?",
        "Could you refer me to your hiring manager?",
        "Can you give me a referral for the analyst opening?",
        "Could you put in a good word for me with HR?",
        "Can you pass my CV along to your manager?",
        "Could I send you my résumé for the open role?",
        "Would you review my résumé before I apply?",
        "Can you look over my RESUME and CV?",
        "Do you offer a résumé review session?",
        "Could you give me a job on your team?",
        "Is there a position for me at your company?",
        "Can you get me an internship placement this summer?",
    ],
)
def test_explicit_job_asks_block_in_questions(ask: str) -> None:
    questions = (ask, GOOD.questions[0])
    finding = assert_one("job_ask", Severity.BLOCKING, "questions", questions=questions)
    assert "What does a typical week look like in your role?" in finding.message


def test_explicit_job_ask_blocks_in_why() -> None:
    why = "I have five years in retail and would love it if you could refer me to your team."
    finding = assert_one("job_ask", Severity.BLOCKING, "why", why=why)
    assert "not to give a referral" in finding.message


def test_accented_and_unaccented_resume_are_the_same_ask() -> None:
    for spelling in ("résumé", "resume", "RÉSUMÉ", "Resumé", "CV", "curriculum vitae"):
        questions = (f"Could you check my {spelling} please?", GOOD.questions[0])
        assert "job_ask" in codes(questions=questions), spelling


def test_word_boundaries_avoid_false_alarms() -> None:
    # "cv" inside "cvs", "refer" inside "reference", "hire" inside "hireable": no findings.
    why = (
        "I worked at CVS pharmacy, keep a reference library of design systems and want to "
        "understand how research shapes products."
    )
    assert codes(why=why) == set()


# Warnings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "why",
    [
        "I'd love to pick your brain about your career and just chat about the industry.",
        "Just want to chat and get to know you, any advice would be really great!!",
        "I am looking to network with people and connect with you about your career.",
    ],
)
def test_vague_why(why: str) -> None:
    finding = assert_one("why_vague", Severity.WARNING, "why", why=why)
    assert "curious" in finding.message


def test_generic_phrase_with_a_real_reason_is_not_vague() -> None:
    why = (
        "I'd love to pick your brain: I'm moving from classroom teaching into UX research "
        "and want to know how you made the same switch."
    )
    assert codes(why=why) == set()


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("What is the salary range for researchers?", "salary"),
        ("How do you find open positions in research?", "positions"),
        ("Are there any vacancies on your team right now?", "vacancies"),
        ("What do hiring managers look for in a portfolio?", "hiring"),
    ],
)
def test_job_centric_wording_is_a_warning(question: str, word: str) -> None:
    questions = (question, GOOD.questions[0])
    finding = assert_one("job_wording", Severity.WARNING, "questions", questions=questions)
    assert f'"{word}"' in finding.message
    assert "job_ask" not in codes(questions=questions)


def test_job_wording_in_why() -> None:
    why = "I am changing careers and looking for a job in UX research after years of teaching."
    assert_one("job_wording", Severity.WARNING, "why", why=why)


def test_an_explicit_ask_is_not_also_reported_as_soft_wording() -> None:
    questions = ("Could you refer me for the job opening on your team?", GOOD.questions[0])
    found = codes(questions=questions)
    assert "job_ask" in found
    assert "job_wording" not in found


def test_information_seeking_wording_passes() -> None:
    questions = (
        "What does a typical week look like in your role?",
        "How did you get from your first project to where you are now?",
    )
    assert codes(questions=questions) == set()


def test_short_question() -> None:
    questions = ("Pay?", GOOD.questions[0])
    finding = assert_one("question_too_short", Severity.WARNING, "questions", questions=questions)
    assert "Question 1" in finding.message


def test_statement_instead_of_question() -> None:
    questions = (GOOD.questions[0], "Tell me about your day at the lab")
    finding = assert_one(
        "question_not_a_question", Severity.WARNING, "questions", questions=questions
    )
    assert "Question 2" in finding.message


def test_question_word_without_a_question_mark_is_a_question() -> None:
    assert codes(questions=("What skills matter most", "How did you start out")) == set()


@pytest.mark.parametrize(
    "question",
    [
        "Is research a good fit for introverts?",
        "Do you enjoy working at a big company?",
        "Should I learn statistics first?",
        "Have you ever regretted switching fields?",
        "Could I shadow you for a day?",
    ],
)
def test_closed_question(question: str) -> None:
    questions = (GOOD.questions[0], question)
    finding = assert_one("question_closed", Severity.WARNING, "questions", questions=questions)
    assert "open" in finding.message


def test_polite_open_question_is_not_closed() -> None:
    questions = ("Could you tell me how you got started?", GOOD.questions[0])
    assert codes(questions=questions) == set()


def test_each_question_is_reported_on_its_own() -> None:
    questions = ("Is it fun?", "Is it well paid work?", "Do you like it at all?")
    result = review(replace(GOOD, questions=questions), SETTINGS)
    numbers = [f.message.split()[1] for f in result if f.code.startswith("question_")]
    assert numbers == ["1", "2", "3"]


@pytest.mark.parametrize("minutes", [21, 30])
def test_minutes_above_the_sweet_spot(minutes: int) -> None:
    finding = assert_one("minutes_long", Severity.WARNING, "minutes", minutes=minutes)
    assert "15–20" in finding.message


def test_twenty_minutes_is_fine() -> None:
    assert codes(minutes=20) == set()


def test_shouting_why() -> None:
    why = "I WANT TO MOVE INTO UX RESEARCH AND I WOULD LOVE TO HEAR HOW YOU DID IT."
    assert_one("all_caps", Severity.WARNING, "why", why=why)


def test_shouting_question() -> None:
    questions = ("WHAT DOES YOUR WEEK LOOK LIKE?", GOOD.questions[0])
    assert_one("all_caps", Severity.WARNING, "questions", questions=questions)


def test_acronyms_are_not_shouting() -> None:
    why = "I moved from QA at IBM to UX and want to learn how NGO research teams work, too."
    assert "all_caps" not in codes(topic="UX / HCI", why=why)


def test_why_that_only_repeats_the_topic() -> None:
    topic = "User experience research for healthcare products"
    why = "user experience research, for healthcare products!"
    assert_one("why_repeats_topic", Severity.WARNING, "why", topic=topic, why=why)
    assert_one("why_repeats_topic", Severity.WARNING, "why", topic="UX research", why="UX research")
