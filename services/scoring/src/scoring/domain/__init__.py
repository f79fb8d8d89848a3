"""Pure scoring logic: a transcript in, feedback out; no I/O."""

from scoring.domain.assessment import RubricConfig
from scoring.domain.report import render_markdown
from scoring.domain.rubric import ENGINE, VERSION, RubricScorer

__all__ = ["ENGINE", "VERSION", "RubricConfig", "RubricScorer", "render_markdown"]
