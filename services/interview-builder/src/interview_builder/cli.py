"""mocksy-builder: serve the API, or try the setup parser, setup chat and generation offline."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from pydantic import ValidationError

from interview_builder.domain.bank import BankError, load_bank
from interview_builder.domain.conversation import SetupConversation
from interview_builder.domain.generation import GenerationError, InterviewGenerator
from interview_builder.domain.setup_parser import SetupParser
from interview_builder.domain.slots import SLOT_NAMES, SetupSlots, SlotName

EXIT_INVALID = 2
PROG = "mocksy-builder"


def _parse_setup(text: str, expecting: SlotName | None) -> int:
    update = SetupParser().parse(text, expecting=expecting)
    print(json.dumps({slot: getattr(update, slot) for slot in SLOT_NAMES}))
    for problem in update.problems:
        print(f"{PROG}: {problem.message}", file=sys.stderr)
    return 0


def _chat(lines: TextIO) -> int:
    conversation = SetupConversation()
    print(f"mocksy: {conversation.start().text}")
    for line in lines:
        if not line.strip():
            continue
        reply = conversation.handle(line.strip())
        print(f"you: {line.strip()}")
        print(f"mocksy: {reply.text}")
        if reply.done:
            print(conversation.confirm().model_dump_json())
            return 0
    print(f"{PROG}: the chat ended before the setup was confirmed", file=sys.stderr)
    return 1


def _generate(args: argparse.Namespace) -> int:
    try:
        slots = SetupSlots(
            role=args.role,
            interview_type=args.type,
            level=args.level,
            question_count=args.count,
            tech_stack=[name.strip() for name in args.stack.split(",") if name.strip()],
        )
        questions = InterviewGenerator(load_bank()).generate(
            slots, args.seed, exclude_question_ids=args.exclude
        )
    except ValidationError as error:
        details = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        print(f"{PROG}: error: {details}", file=sys.stderr)
        return EXIT_INVALID
    except (GenerationError, BankError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps([question.model_dump(mode="json") for question in questions], indent=2))
    return 0


def _serve() -> int:
    # Imported here so the offline commands start without loading the web stack.
    from common.serving import serve
    from interview_builder.app import create_app
    from interview_builder.settings import BuilderSettings

    settings = BuilderSettings()
    serve(create_app(settings), settings)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mocksy-builder`` console script."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Mocksy interview-builder: the API, and setup parsing and generation offline.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve",
        help="serve the HTTP API and relay InterviewCreated events "
        "(MOCKSY_BUILDER_HTTP_HOST:PORT, default 127.0.0.1:8002)",
    )
    parse_setup = commands.add_parser(
        "parse-setup", help="print the slots one setup utterance mentions, as JSON"
    )
    parse_setup.add_argument("text", help="what the candidate said")
    parse_setup.add_argument(
        "--expecting", choices=SLOT_NAMES, help="the slot the assistant had just asked about"
    )
    commands.add_parser("chat", help="run the setup chat over lines read from stdin")
    generate = commands.add_parser("generate", help="print an interview's questions as JSON")
    generate.add_argument("--role", required=True)
    generate.add_argument("--type", required=True, help="behavioral, technical or mixed")
    generate.add_argument("--level", required=True)
    generate.add_argument("--count", type=int, default=5)
    generate.add_argument("--stack", default="", help="comma-separated technologies")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument(
        "--exclude", nargs="*", default=[], help="recently asked question ids, most recent first"
    )
    args = parser.parse_args(argv)

    if args.command == "serve":
        return _serve()
    if args.command == "parse-setup":
        return _parse_setup(args.text, args.expecting)
    if args.command == "chat":
        return _chat(sys.stdin)
    return _generate(args)


if __name__ == "__main__":
    sys.exit(main())
