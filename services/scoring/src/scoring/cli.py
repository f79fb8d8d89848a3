"""mocksy-scoring: serve the scoring service, or score a transcript file offline."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from common.events import Transcript
from scoring.domain.report import render_markdown
from scoring.domain.rubric import RubricScorer

EXIT_INVALID = 2


class TranscriptFileError(Exception):
    """A file that cannot be read as a transcript; the message names the field."""


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def load_transcript(path: Path) -> Transcript:
    """Read a SessionCompleted ``data`` document (or a whole SessionCompleted event)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TranscriptFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        document: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TranscriptFileError(
            f"{path} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if isinstance(document, dict) and document.get("event_type") == "SessionCompleted":
        document = document.get("data")
    try:
        return Transcript.model_validate(document)
    except ValidationError as exc:
        problems = [f"field '{_location(tuple(e['loc']))}': {e['msg']}" for e in exc.errors()[:5]]
        more = exc.error_count() - len(problems)
        if more > 0:
            problems.append(f"... and {more} more problem(s)")
        raise TranscriptFileError(
            f"{path} is not a valid transcript: " + "; ".join(problems)
        ) from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mocksy-scoring`` console script."""
    parser = argparse.ArgumentParser(
        prog="mocksy-scoring", description="Mocksy scoring: offline feedback on a transcript."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser(
        "score", help="score a transcript (a SessionCompleted data document) and print feedback"
    )
    score.add_argument("file", type=Path, help="transcript JSON file")
    score.add_argument("--format", choices=("json", "markdown"), default="json")
    commands.add_parser(
        "serve",
        help="run the API (MOCKSY_SCORING_HTTP_HOST:PORT, default 127.0.0.1:8004) and the "
        "SessionCompleted consumer in one process",
    )
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve()

    try:
        transcript = load_transcript(args.file)
    except TranscriptFileError as exc:
        print(f"mocksy-scoring: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    feedback = RubricScorer().score(transcript)
    if args.format == "markdown":
        print(render_markdown(feedback, transcript.interview))
    else:
        print(json.dumps(feedback.model_dump(mode="json"), indent=2, ensure_ascii=False))
    return 0


def _serve() -> int:
    # Imported here so that `score` stays a light, offline command.
    from pydantic import ValidationError as SettingsError

    from common.serving import serve
    from scoring.app import create_app
    from scoring.settings import ScoringSettings

    try:
        settings = ScoringSettings()
    except SettingsError as exc:
        problems = [f"{_location(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        print("mocksy-scoring: invalid settings: " + "; ".join(problems), file=sys.stderr)
        return EXIT_INVALID
    serve(create_app(settings), settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
