"""What simulated members write: names, roles, organisations, and requests the coach passes
(or, for vague ones, turns back). Plain ASCII, so every adapter shows them alike."""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Amir", "Ana", "Anders", "Aroha", "Asha", "Ben", "Bianca",
    "Carlos", "Chen", "Chloe", "Dara", "David", "Diego", "Elena", "Emeka", "Emma", "Farah",
    "Felix", "Fatima", "Gabriel", "Grace", "Hana", "Hugo", "Ines", "Isaac", "Ivan", "Jada",
    "Jamal", "Jin", "Joao", "Julia", "Kai", "Kavya", "Kenji", "Lara", "Leila", "Leo",
    "Lina", "Luca", "Maya", "Mateo", "Mei", "Mina", "Nadia", "Nia", "Noah", "Olga",
    "Omar", "Pablo", "Priya", "Quinn", "Rafael", "Rosa", "Sam", "Sara", "Sofia", "Tariq",
    "Tess", "Theo", "Uma", "Victor", "Wen", "Yara", "Yusuf", "Zara", "Zoe", "Kwame",
)  # fmt: skip
LAST_NAMES = (
    "Moreno", "Okafor", "Nakamura", "Schmidt", "Patel", "Silva", "Kowalski", "Haddad",
    "Johansson", "Kim", "Nguyen", "Garcia", "Mensah", "Rossi", "Dubois", "Novak", "Singh",
    "Tanaka", "Costa", "Fischer", "Ivanova", "Mwangi", "Osei", "Reyes", "Sato", "Weber",
    "Yilmaz", "Zhang", "Adeyemi", "Bauer", "Castro", "Diallo", "Eriksen", "Ferreira",
    "Gomez", "Hansen", "Ito", "Jensen", "Khan", "Lopez", "Martin", "Nielsen", "Oliveira",
    "Park", "Quispe", "Ramos", "Santos", "Torres", "Usman", "Vargas", "Wang", "Xu",
    "Young", "Ziegler", "Abbott", "Brennan", "Chowdhury", "Delgado", "Evans", "Fontaine",
    "Gupta", "Horvat", "Ibrahim", "Jovanovic", "Kruger", "Larsen", "Murphy", "Nowak",
)  # fmt: skip

ROLES = {
    "software engineering": "Software engineer", "data engineering": "Data engineer",
    "finance": "Financial analyst", "consulting": "Management consultant",
    "data science": "Data scientist", "product management": "Product manager",
    "marketing": "Marketing manager", "devops": "Site reliability engineer",
    "sales": "Account executive", "project management": "Project manager",
    "accounting": "Accountant", "web development": "Web developer", "teaching": "Teacher",
    "machine learning": "Machine learning engineer", "analytics": "Data analyst",
    "security": "Security engineer", "law": "Lawyer", "healthcare": "Nurse practitioner",
    "communications": "Communications lead", "customer success": "Customer success manager",
    "nonprofit": "Programme director", "research": "Research scientist",
    "recruiting": "Talent partner", "policy": "Policy adviser", "ux design": "UX designer",
    "content": "Content strategist", "entrepreneurship": "Founder",
    "investment": "Investment associate", "public health": "Epidemiologist",
    "user research": "User researcher", "product design": "Product designer",
    "mobile development": "Mobile developer", "growth": "Growth lead",
    "journalism": "Reporter", "education": "Curriculum designer",
    "operations": "Operations manager", "people operations": "People partner",
}  # fmt: skip
ORGANISATIONS = (
    "Acme", "Globex", "Initech", "Northwind", "Contoso", "Umbrella Health", "Stark Labs",
    "Wayne Foundation", "Hooli", "Pied Piper", "Vandelay Imports", "Soylent", "Cyberdyne",
    "Tyrell", "Oscorp", "Massive Dynamic", "Aperture Science", "Blue Sun", "Gringotts",
    "Monarch Bank", "City Hospital", "Riverside School", "Open Data Trust", "Green Fields",
    "Harbour Consulting", "Nimbus Cloud", "Atlas Logistics", "Civic Lab", "Lumen Media",
    "Kestrel Ventures",
)  # fmt: skip
SCHOOLS = (
    "University of Toronto", "Le Wagon", "MIT", "TU Delft", "Makers Academy",
    "University of Lagos", "IIT Bombay", "Universidade de Sao Paulo", "Code First Girls",
)  # fmt: skip

BACKGROUNDS = (
    "customer support", "retail management", "secondary school teaching", "academic research",
    "logistics", "hospitality", "bookkeeping", "graphic design", "front-end development",
    "the public sector", "nursing", "local news reporting", "event planning", "lab work",
    "physics", "economics", "a small family business", "the army",
)  # fmt: skip
_WHY = (
    "I have spent {years} years in {background} and I am curious how {topic} work differs "
    "day to day from what I do now, and which of my skills would carry over.",
    "After {years} years in {background} I am reading about {topic} and would value an honest "
    "view of what the work is like once the novelty wears off.",
    "I am finishing a course and my background is in {background}; I would like to understand "
    "how people in {topic} choose what to focus on in their first two years.",
    "My {years} years in {background} taught me a lot about people and process. I am weighing "
    "a move into {topic} and want to hear what surprised you when you started.",
)
_QUESTIONS = (
    "What does a typical week look like in your role?",
    "How did you move into {topic}, and what would you do differently?",
    "Which skills mattered most in your first year in {topic}?",
    "What surprised you most when you started working in {topic}?",
    "How do you decide what to learn next in {topic}?",
    "What do people new to {topic} usually get wrong?",
    "How does your team judge good work in {topic}?",
    "Which parts of your work do you enjoy most, and which least?",
    "What would you read or try first if you were starting in {topic} today?",
    "How much of your time goes to meetings and how much to focused work?",
)
# Refused by the coach: a why under 40 characters and a single question.
_VAGUE_WHY = (
    "Just want to pick your brain.",
    "Would love to chat and network!",
    "Looking for some advice.",
    "Keen to get to know you.",
)
_VAGUE_QUESTION = ("Any advice?", "Thoughts?", "How do I get in?")


def role_for(topic: str) -> str:
    return ROLES.get(topic, f"{topic[:1].upper()}{topic[1:]} specialist")


def why_for(rng: random.Random, topic: str) -> str:
    background = rng.choice([b for b in BACKGROUNDS if topic not in b] or BACKGROUNDS)
    years = rng.choice(("two", "three", "four", "five", "six", "eight"))
    return rng.choice(_WHY).format(years=years, background=background, topic=topic)


def questions_for(rng: random.Random, topic: str, count: int) -> str:
    """`count` different questions, as `request.create` takes them (separated by `|`)."""
    return " | ".join(q.format(topic=topic) for q in rng.sample(_QUESTIONS, count))


def vague_text(rng: random.Random) -> tuple[str, str]:
    """A why and a question the coach turns back."""
    return rng.choice(_VAGUE_WHY), rng.choice(_VAGUE_QUESTION)
