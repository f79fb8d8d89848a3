"""The shared interview vocabulary: roles, interview types, levels and technologies."""

from __future__ import annotations

import re
from typing import Final, Literal, get_args

Role = Literal["frontend", "backend", "fullstack"]
InterviewType = Literal["behavioral", "technical", "mixed"]
Level = Literal["junior", "mid", "senior"]
QuestionKind = Literal["behavioral", "technical"]

ROLES: Final[tuple[Role, ...]] = get_args(Role)
INTERVIEW_TYPES: Final[tuple[InterviewType, ...]] = get_args(InterviewType)
LEVELS: Final[tuple[Level, ...]] = get_args(Level)

# Canonical technology names. Everything that crosses a service boundary uses these spellings.
TECH_STACK: Final[frozenset[str]] = frozenset(
    {
        "javascript",
        "typescript",
        "react",
        "next.js",
        "node.js",
        "vue",
        "angular",
        "html",
        "css",
        "python",
        "django",
        "fastapi",
        "flask",
        "java",
        "spring",
        "go",
        "rust",
        "c#",
        ".net",
        "sql",
        "postgresql",
        "mysql",
        "mongodb",
        "redis",
        "kafka",
        "graphql",
        "rest",
        "docker",
        "kubernetes",
        "aws",
        "system design",
        "testing",
    }
)

TECH_ALIASES: Final[dict[str, str]] = {
    "js": "javascript",
    "ecmascript": "javascript",
    "ts": "typescript",
    "reactjs": "react",
    "react.js": "react",
    "react js": "react",
    "nextjs": "next.js",
    "next js": "next.js",
    "node": "node.js",
    "nodejs": "node.js",
    "node js": "node.js",
    "vuejs": "vue",
    "vue.js": "vue",
    "vue js": "vue",
    "angularjs": "angular",
    "html5": "html",
    "css3": "css",
    "py": "python",
    "python3": "python",
    "golang": "go",
    "csharp": "c#",
    "c sharp": "c#",
    "dotnet": ".net",
    "dot net": ".net",
    "asp.net": ".net",
    "spring boot": "spring",
    "springboot": "spring",
    "postgres": "postgresql",
    "psql": "postgresql",
    "mongo": "mongodb",
    "k8s": "kubernetes",
    "kube": "kubernetes",
    "amazon web services": "aws",
    "restful": "rest",
    "rest api": "rest",
    "rest apis": "rest",
    "system-design": "system design",
    "systems design": "system design",
    "apache kafka": "kafka",
    "unit testing": "testing",
}

_SPACES = re.compile(r"\s+")


def normalize_tech(name: str) -> str | None:
    """Map a technology name or alias onto its canonical spelling.

    Args:
        name: What the user or a client wrote, e.g. ``"K8s"`` or ``" Postgres "``.

    Returns:
        The canonical name (``"kubernetes"``, ``"postgresql"``), or ``None`` when the name is
        not in the shared vocabulary.
    """
    key = _SPACES.sub(" ", name.strip().lower())
    if key in TECH_STACK:
        return key
    return TECH_ALIASES.get(key)
