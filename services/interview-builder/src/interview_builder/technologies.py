"""Technology names from requests: the canonical spelling, or close matches to offer instead."""

from __future__ import annotations

from typing import Final

from common.vocabulary import TECH_STACK, normalize_tech
from interview_builder.domain.setup_parser import SetupParser

_PARSER: Final = SetupParser()


class UnknownTechnology(ValueError):
    """A name outside the shared vocabulary; `suggestions` are canonical names close to it."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        if suggestions:
            hint = f"did you mean {' or '.join(suggestions)}?"
        else:
            hint = f"known technologies are {', '.join(sorted(TECH_STACK))}"
        super().__init__(f"{name!r} is not a technology Mocksy has questions on; {hint}")


def close_technologies(name: str) -> list[str]:
    """Canonical names close to `name`, as the setup chat would suggest them."""
    # The setup parser already finds typos ("pyton") and names inside phrases ("django rest").
    reading = _PARSER.parse(name, expecting="tech_stack")
    found = dict.fromkeys(reading.tech_stack or [])
    for problem in reading.problems:
        if problem.slot == "tech_stack":
            found.update(dict.fromkeys(problem.suggestions))
    return list(found)


def canonical_technology(name: str) -> str:
    """The canonical spelling of `name`; raises `UnknownTechnology` with close matches."""
    canonical = normalize_tech(name)
    if canonical is None:
        raise UnknownTechnology(name.strip(), close_technologies(name))
    return canonical
