"""Topic names and the fields next to them, so matching can widen (DESIGN.md R10)."""

from __future__ import annotations

import re
from functools import lru_cache

# Whole-topic synonyms, applied after folding case and spaces. Values are canonical names
# and never keys themselves, so normalising twice gives the same result.
_SYNONYMS = {
    "ux": "ux design",
    "ui/ux": "ux design",
    "ux/ui": "ux design",
    "user experience": "ux design",
    "user experience design": "ux design",
    "ml": "machine learning",
    "ai/ml": "machine learning",
    "pm": "product management",
    "product": "product management",
    "product manager": "product management",
    "swe": "software engineering",
    "software development": "software engineering",
    "software engineer": "software engineering",
    "programming": "software engineering",
    "sre": "devops",
    "site reliability engineering": "devops",
    "data eng": "data engineering",
    "data engineer": "data engineering",
    "data scientist": "data science",
    "data analytics": "analytics",
    "human resources": "hr",
    "people ops": "people operations",
    "infosec": "security",
    "cybersecurity": "security",
    "cyber security": "security",
    "information security": "security",
    "comms": "communications",
    "public relations": "communications",
    "legal": "law",
    "non-profit": "nonprofit",
    "non profit": "nonprofit",
    "ngo": "nonprofit",
    "bizdev": "business development",
}

# Each cluster is a group of fields close to one another; a field may sit in several.
_CLUSTERS: tuple[tuple[str, ...], ...] = (
    ("software engineering", "devops", "data engineering", "quality assurance"),
    ("software engineering", "web development", "mobile development", "game development"),
    ("data engineering", "data science", "machine learning", "analytics"),
    ("product management", "ux design", "product design", "user research"),
    ("design", "ux design", "graphic design", "product design"),
    ("security", "devops"),
    ("marketing", "growth", "communications", "content"),
    ("journalism", "writing", "content", "communications"),
    ("sales", "customer success", "account management", "business development"),
    ("finance", "accounting", "investment"),
    ("investment", "venture capital", "entrepreneurship"),
    ("hr", "recruiting", "people operations"),
    ("teaching", "education", "instructional design"),
    ("law", "policy", "compliance"),
    ("healthcare", "nursing", "medicine", "public health"),
    ("nonprofit", "social impact", "policy"),
    ("research", "academia"),
    ("consulting", "strategy", "operations"),
    ("project management", "program management", "operations"),
    ("architecture", "urban planning", "civil engineering"),
    ("mechanical engineering", "electrical engineering", "hardware", "manufacturing"),
)

# Words too generic to link two topics on their own ("product management" vs "account management").
_GENERIC_WORDS = "a an and of the in for to on management engineering design development "
_GENERIC_WORDS += "operations science studies services"
_GENERIC = frozenset(_GENERIC_WORDS.split())

# Trimmed from both ends; "." and "-" only from the end so ".net" survives ("c++", "c#" too).
_EDGE = " \t,;:!?\"'`“”‘’()[]{}<>*_~…"


def _build_graph() -> dict[str, frozenset[str]]:
    graph: dict[str, set[str]] = {}
    for cluster in _CLUSTERS:
        for topic in cluster:
            graph.setdefault(topic, set()).update(cluster)
    return {topic: frozenset(near - {topic}) for topic, near in graph.items()}


_GRAPH = _build_graph()


@lru_cache(maxsize=4096)
def normalize_topic(text: str) -> str:
    folded = " ".join(text.casefold().split())
    folded = folded.strip(_EDGE).rstrip(_EDGE + ".-–—")
    return _SYNONYMS.get(folded, folded)


@lru_cache(maxsize=4096)
def topic_tokens(topic: str) -> frozenset[str]:
    """The words of a topic that are specific enough to relate it to another one."""
    return frozenset(re.findall(r"\w+", normalize_topic(topic))) - _GENERIC


@lru_cache(maxsize=1024)
def adjacent_topics(topic: str) -> frozenset[str]:
    """Known fields next to `topic`: its clusters, plus known fields sharing a specific word."""
    name = normalize_topic(topic)
    tokens = topic_tokens(name)
    overlapping = {known for known in _GRAPH if tokens & topic_tokens(known)}
    return (_GRAPH.get(name, frozenset()) | overlapping) - {name}


def is_adjacent(topic: str, other: str) -> bool:
    """Whether two different topics are close, by the built-in graph or a shared word."""
    a, b = normalize_topic(topic), normalize_topic(other)
    if not a or not b or a == b:
        return False
    return b in adjacent_topics(a) or bool(topic_tokens(a) & topic_tokens(b))


def known_topics() -> frozenset[str]:
    """The fields infochat knows by name (for suggestions while typing)."""
    return frozenset(_GRAPH)
