"""Pure scoring logic: a transcript in, feedback out; no I/O."""

from scoring.domain.rubric import ENGINE, VERSION, RubricConfig, RubricScorer

__all__ = ["ENGINE", "VERSION", "RubricConfig", "RubricScorer"]
