"""``mocksy-voice``: the sessions API (``serve``), the interviewer worker (``worker``), and a
one-off session sweep (``sweep``)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict

from common.mongo import open_client
from common.observability import configure_logging
from common.serving import serve
from voice_agent.app import create_app, livekit_rooms, sweep_policy
from voice_agent.repository import MongoSessionStore
from voice_agent.service import SessionSweeper, SweepReport
from voice_agent.settings import VoiceAgentSettings


def main(argv: Sequence[str] | None = None) -> None:
    """Run one of the voice agent's processes."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="mocksy-voice", description="Mocksy voice agent: sessions API and interviewer worker."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve",
        help="sessions API + InterviewCreated consumer + SessionCompleted outbox relay + "
        "session sweeper, on MOCKSY_VOICE_HTTP_HOST:PORT (default 127.0.0.1:8003)",
    )
    commands.add_parser(
        "worker",
        help="the LiveKit interviewer worker; further arguments go to the worker",
        add_help=False,
    )
    commands.add_parser(
        "sweep",
        help="one pass of the session sweeper (interrupt sessions of dead workers, end those "
        "past their grace period) and print what it did; `serve` already sweeps continuously",
    )
    if args[:1] == ["worker"]:
        _worker(args[1:])
        return
    command = parser.parse_args(args).command
    settings = VoiceAgentSettings()
    if command == "serve":
        serve(create_app(settings), settings)
    elif command == "sweep":
        configure_logging(settings.service_name, level=settings.log_level, json_logs=False)
        report = asyncio.run(_sweep(settings))
        print(json.dumps(asdict(report)))


def _worker(rest: list[str]) -> None:
    # Imported here: the worker pulls in livekit-agents and the speech stack, which the API
    # process never needs.
    try:
        worker = importlib.import_module("voice_agent.worker.main")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("voice_agent.worker"):
            sys.exit("mocksy-voice worker: the interviewer worker is not installed in this build")
        raise
    # The LiveKit Agents CLI reads sys.argv itself (`start`, `dev`, ...).
    sys.argv = ["mocksy-voice worker", *rest]
    worker.run()


async def _sweep(settings: VoiceAgentSettings) -> SweepReport:
    async with open_client(settings.mongodb_uri, "mocksy-voice-agent-sweep") as client:
        rooms = livekit_rooms(settings)
        try:
            sessions = MongoSessionStore(client[settings.database]["sessions"])
            return await SessionSweeper(sessions, rooms, sweep_policy(settings)).sweep_once()
        finally:
            await rooms.aclose()
