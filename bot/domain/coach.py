"""The request coach: what to fix before a request goes out (DESIGN.md R3–R5).

BLOCKING findings must be fixed; the seeker may send anyway despite WARNING ones. Text is
matched after folding: lower case, accents stripped ("Résumé" → "resume"), single spaces.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain.community import CommunitySettings
from bot.domain.models import FORMATS, Finding, RequestFields, Severity

MIN_TOPIC = 2
MIN_WHY = 40
MIN_QUESTIONS, MAX_QUESTIONS = 2, 3
MIN_QUESTION = 12
MIN_MINUTES = 5
SWEET_SPOT_MINUTES = 20  # "15–20 minutes is the sweet spot" (R3)
VAGUE_WHY_WORDS = 6  # a why with a generic phrase needs this many words of its own
EXAMPLE = '"What does a typical week look like in your role?"'

# What each finding asks the seeker to change. BLOCKING ones must be fixed.
_BLOCKING = {
    "topic_missing": "Name the field or role you'd like to learn about, such as UX research.",
    "format_unknown": "Pick how you'd like to talk: {formats}.",
    "why_too_short": "Tell the volunteer a little more: say why this field or person, and how "
    "your background relates to it.",
    "questions_too_few": "Add two or three questions, so the volunteer gets a flavour of what "
    "you'd like to learn.",
    "questions_too_many": "Keep it to your three most important questions; a short chat won't "
    "fit more.",
    "questions_duplicate": "Two of your questions are the same. Replace one with something else "
    "you'd like to know.",
    "minutes_too_long": "This community asks for at most {max} minutes. Shorten your request "
    "to fit.",
    "minutes_too_short": "Ask for at least {min} minutes so there is time for your questions.",
    "job_ask": "Volunteers say yes to share what they know, not to give {what}. Ask about "
    f"their work instead, for example {EXAMPLE}",
}
_WARNING = {
    "why_vague": "Your why is quite general. Say what you're curious about and what you've "
    "already read or tried.",
    "why_repeats_topic": "Your why repeats the topic. Say why this field interests you and how "
    "your background relates.",
    "question_too_short": "Question {number} is very short. Add a little detail so the volunteer "
    "knows what you'd like to learn.",
    "question_not_a_question": "Question {number} doesn't read as a question. Phrase it as one, "
    "ending in '?'.",
    "question_closed": "Question {number} can be answered with yes or no. Try an open one "
    "starting with what, how or why.",
    "minutes_long": "{minutes} minutes is a big ask; 15–20 minutes is the sweet spot and makes "
    "a yes more likely.",
    "job_wording": 'Words like "{word}" can make this sound like a job hunt. Keep the focus on '
    f"learning about their work, for example {EXAMPLE}",
    "all_caps": "Please write in normal case; in all capitals you seem to be shouting.",
}

_CV = r"(?:resume|cv|curriculum vitae)"
# Explicit asks for a job (R5): what the seeker asked for → a wording that asks for it.
_JOB_ASKS = tuple(
    (what, re.compile(pattern))
    for what, pattern in (
        ("a job", r"\b(?:give|get|find|offer) me (?:a|an|any) (?:job|position|role)\b"),
        ("a job", r"\b(?:a|any) (?:job|opening|position|role)s? for me\b"),
        ("a job", r"\bhir(?:e|ing) me\b"),
        ("a referral", r"\brefer(?:ring)? me\b"),
        ("a referral", r"\b(?:get|give|need|want|provide|write|ask for) (?:me )?a referral\b"),
        ("a referral", r"\bput in a (?:good )?word\b"),
        ("a referral", rf"\b(?:pass|forward|send|hand)(?: you)?(?: along| on)? my {_CV}\b"),
        ("a referral", rf"\bpass my {_CV} (?:along|on)\b"),
        ("an internship placement", r"\binternship placements?\b"),
        ("an internship placement", r"\b(?:give|get|find|offer) me an internship\b"),
        ("a résumé review", rf"\b{_CV} (?:review|feedback|critique)\b"),
        ("a résumé review", rf"\b(?:review|look at|look over|check|critique|fix) my {_CV}\b"),
    )
)
# Softer job-centric words: a warning, unless the same field already has an explicit ask.
_JOB_WORD = re.compile(
    r"\b(?:jobs?|hiring|hired?|openings?|vacanc(?:y|ies)|positions?|salar(?:y|ies)"
    r"|compensation|internships?|referrals?|recruiters?)\b"
)
# Generic phrases that say nothing about why this field or this person (R4).
_VAGUE_PHRASES = (
    r"pick (?:your|a|some|someone'?s) brains?",
    r"just (?:want(?:ed)? )?to (?:chat|talk)",
    r"any advice",
    r"get to know (?:you|each other)",
    r"network(?:ing)?",
    r"connect",
    r"grab (?:a )?coffee",
    r"touch base",
    r"learn more about you",
)
_VAGUE = re.compile(r"\b(?:" + "|".join(_VAGUE_PHRASES) + r")\b")
_FILLER_WORDS = "you your the and for with about from are would like love want just really "
_FILLER_WORDS += "some this that chat talk more learn career industry advice field"
_FILLER = frozenset(_FILLER_WORDS.split())

_QUESTION_WORD = re.compile(
    r"^(?:what|how|why|when|where|which|who|whom|whose|is|are|am|was|were|do|does|did"
    r"|can|could|will|would|should|have|has|had|may|might)\b"
)
_CLOSED = re.compile(r"^(?:is|are|do|does|can|could|will|would|should|did|have|has)\b")
# "Could you tell me how…" starts like a yes/no question but asks for an open answer.
_POLITE_OPEN = re.compile(r"^(?:can|could|would|will) you (?:tell|describe|share|walk|explain)\b")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _fold(text))


def _is_shouting(text: str) -> bool:
    letters = [ch for ch in text if ch.isupper() or ch.islower()]
    return len(letters) >= 12 and sum(ch.isupper() for ch in letters) >= 0.9 * len(letters)


def _finding(code: str, field: str, **details: object) -> Finding:
    if code in _BLOCKING:
        return Finding(code, Severity.BLOCKING, field, _BLOCKING[code].format(**details))
    return Finding(code, Severity.WARNING, field, _WARNING[code].format(**details))


def _job(field: str, texts: tuple[str, ...]) -> list[Finding]:
    folded = [_fold(text) for text in texts]
    for what, pattern in _JOB_ASKS:
        if any(pattern.search(text) for text in folded):
            return [_finding("job_ask", field, what=what)]
    for text in folded:
        if found := _JOB_WORD.search(text):
            return [_finding("job_wording", field, word=found.group())]
    return []


def _why(why: str, topic: str) -> list[Finding]:
    findings = []
    if len(why) < MIN_WHY:
        findings.append(_finding("why_too_short", "why"))
    folded = _fold(why)
    own_words = [w for w in _words(_VAGUE.sub(" ", folded)) if len(w) > 2 and w not in _FILLER]
    if _VAGUE.search(folded) and len(own_words) < VAGUE_WHY_WORDS:
        findings.append(_finding("why_vague", "why"))
    topic_words = set(_words(topic))
    if why and topic_words and set(_words(why)) <= topic_words:
        findings.append(_finding("why_repeats_topic", "why"))
    return findings


def _questions(questions: tuple[str, ...]) -> list[Finding]:
    findings = []
    if len(questions) < MIN_QUESTIONS:
        findings.append(_finding("questions_too_few", "questions"))
    elif len(questions) > MAX_QUESTIONS:
        findings.append(_finding("questions_too_many", "questions"))
    keys = [" ".join(_words(question)) for question in questions]
    if len(set(keys)) < len(keys):
        findings.append(_finding("questions_duplicate", "questions"))
    for number, question in enumerate(questions, start=1):
        folded = _fold(question)
        if len(question) < MIN_QUESTION:
            findings.append(_finding("question_too_short", "questions", number=number))
        elif "?" not in question and not _QUESTION_WORD.match(folded):
            findings.append(_finding("question_not_a_question", "questions", number=number))
        elif _CLOSED.match(folded) and not _POLITE_OPEN.match(folded):
            findings.append(_finding("question_closed", "questions", number=number))
    return findings


def _minutes(minutes: int, settings: CommunitySettings) -> list[Finding]:
    if minutes > settings.max_minutes:
        return [_finding("minutes_too_long", "minutes", max=settings.max_minutes)]
    if minutes < MIN_MINUTES:
        return [_finding("minutes_too_short", "minutes", min=MIN_MINUTES)]
    if minutes > SWEET_SPOT_MINUTES:
        return [_finding("minutes_long", "minutes", minutes=minutes)]
    return []


def review(fields: RequestFields, settings: CommunitySettings) -> tuple[Finding, ...]:
    """Everything worth fixing in a request, blocking findings first."""
    topic, why = fields.topic.strip(), fields.why.strip()
    questions = tuple(q.strip() for q in fields.questions if q.strip())
    findings: list[Finding] = []
    if len(topic) < MIN_TOPIC:
        findings.append(_finding("topic_missing", "topic"))
    if fields.format not in FORMATS:
        findings.append(_finding("format_unknown", "format", formats=", ".join(FORMATS)))
    findings += _why(why, topic) + _job("why", (why,))
    findings += _questions(questions) + _job("questions", questions)
    findings += _minutes(fields.minutes, settings)
    for field, texts in (("topic", (topic,)), ("why", (why,)), ("questions", questions)):
        if any(_is_shouting(text) for text in texts):
            findings.append(_finding("all_caps", field))
    return tuple(sorted(findings, key=lambda finding: finding.severity != Severity.BLOCKING))
