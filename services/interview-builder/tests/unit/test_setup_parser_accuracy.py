"""Per-slot accuracy of the rule-based setup parser on the labelled utterance set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from interview_builder.domain.setup_parser import SetupParser
from interview_builder.domain.slots import SLOT_NAMES, SlotUpdate

UTTERANCES = Path(__file__).parent.parent / "data" / "setup_utterances.json"
REQUIRED_ACCURACY = 0.95


def _slot_value(update: SlotUpdate, slot: str) -> Any:
    value = getattr(update, slot)
    # The order technologies are named in does not change the interview.
    return sorted(value) if slot == "tech_stack" and value is not None else value


def _expected_value(expected: dict[str, Any], slot: str) -> Any:
    value = expected[slot]
    return sorted(value) if slot == "tech_stack" and value is not None else value


def test_labelled_set_is_large_and_varied() -> None:
    cases = json.loads(UTTERANCES.read_text())
    assert len(cases) >= 60
    assert len({case["text"] for case in cases if "expecting" not in case}) == len(
        [case for case in cases if "expecting" not in case]
    )
    for slot in SLOT_NAMES:
        assert any(case["expected"][slot] is not None for case in cases), slot


def test_parser_per_slot_accuracy_on_labelled_utterances() -> None:
    cases = json.loads(UTTERANCES.read_text())
    parser = SetupParser()
    correct: dict[str, int] = dict.fromkeys([*SLOT_NAMES, "problems"], 0)
    failures: list[str] = []
    for case in cases:
        update = parser.parse(case["text"], expecting=case.get("expecting"))
        for slot in SLOT_NAMES:
            got, want = _slot_value(update, slot), _expected_value(case["expected"], slot)
            if got == want:
                correct[slot] += 1
            else:
                failures.append(f"{case['text']!r}: {slot} = {got!r}, expected {want!r}")
        problems = sorted({problem.slot for problem in update.problems})
        if problems == sorted(case.get("expected_problems", [])):
            correct["problems"] += 1
        else:
            failures.append(f"{case['text']!r}: problems on {problems}")

    accuracy = {slot: hits / len(cases) for slot, hits in correct.items()}
    print(f"\nsetup parser accuracy over {len(cases)} utterances:")
    for name, value in accuracy.items():
        print(f"  {name:15} {value:.3f}")
    for failure in failures:
        print(f"  miss: {failure}")
    assert all(value >= REQUIRED_ACCURACY for value in accuracy.values()), accuracy
