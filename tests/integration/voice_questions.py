"""The two questions the spoken-interview tests put to a scripted candidate, and the words by
which the candidate's ear recognises each."""

from __future__ import annotations

from common.events import Question

QUESTIONS = [
    Question(
        question_id="q-dupes",
        text="How would you find duplicate values in a very large list?",
        kind="technical",
        topic="algorithms",
        key_points=["Uses a hash set for constant-time lookups", "Explains time complexity"],
    ),
    Question(
        question_id="q-cache",
        text="When would you put a cache in front of a database?",
        kind="technical",
        topic="system design",
        key_points=["Reduces latency for repeated reads", "Handles cache invalidation"],
    ),
]
KEYWORDS = {
    "q-dupes": {"duplicate", "duplicates", "values", "list"},
    "q-cache": {"cache", "database"},
}
