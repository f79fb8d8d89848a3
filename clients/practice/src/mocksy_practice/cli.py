"""``mocksy practice``: sign in, set up an interview by chat, take it, read the feedback.

Spoken through the microphone and speaker where a sound device works; ``--text`` (or a machine
without one) types the answers and prints the interviewer's lines instead.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from mocksy_practice.api import DEFAULT_URLS, MocksyApiError, MocksyClient, ServiceUrls
from mocksy_practice.audio import SoundDevices, sound_problem
from mocksy_practice.report import feedback_report
from mocksy_practice.room import InterviewRoom


class InputEnded(Exception):
    """Standard input ended while an answer was needed."""


class Terminal:
    """Lines typed (or piped) in, lines printed out; reading never blocks the event loop."""

    def __init__(self, source: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.interactive = source.isatty()
        self._source = source
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._reader: threading.Thread | None = None

    def start(self) -> None:
        """Read standard input in a daemon thread (it never keeps the program alive)."""
        loop = asyncio.get_running_loop()

        def read() -> None:
            for line in self._source:
                loop.call_soon_threadsafe(self._lines.put_nowait, line.rstrip("\n"))
            loop.call_soon_threadsafe(self._lines.put_nowait, None)

        self._reader = threading.Thread(target=read, name="stdin", daemon=True)
        self._reader.start()

    async def read(self, prompt: str) -> str:
        """The next non-empty line, after ``prompt``; InputEnded at the end of input."""
        while True:
            if self.interactive:
                self.out.write(f"{prompt}> ")
                self.out.flush()
            line = await self._lines.get()
            if line is None:
                self._lines.put_nowait(None)  # stays ended for every later read
                raise InputEnded
            if line.strip():
                if not self.interactive:
                    self.say(prompt, line.strip())
                return line.strip()

    def say(self, who: str, text: str) -> None:
        """Print one line of the conversation."""
        self.out.write(f"{who}: {text}\n")
        self.out.flush()

    def note(self, text: str) -> None:
        """Print a remark of the client's own."""
        self.out.write(f"[{text}]\n")
        self.out.flush()


@dataclass(frozen=True)
class PracticeOptions:
    """What ``mocksy practice`` was asked to do."""

    urls: ServiceUrls
    email: str | None
    password: str | None
    name: str | None
    register: bool
    interview_id: str | None
    text: bool
    feedback_within_s: float


async def sign_in(api: MocksyClient, options: PracticeOptions, terminal: Terminal) -> None:
    """Sign in, creating the account first with ``--register``."""
    email = options.email or await terminal.read("Email")
    password = options.password
    if password is None:
        if not terminal.interactive:
            raise MocksyApiError("sign in", 0, "set MOCKSY_PASSWORD (no terminal to ask on)")
        password = await asyncio.to_thread(getpass.getpass, "Password: ")
    if options.register:
        try:
            await api.register(email, password, options.name or email.split("@")[0])
            terminal.note(f"account {email} created")
        except MocksyApiError as error:
            if error.status != 409:
                raise
            terminal.note(f"account {email} exists; signing in")
    await api.sign_in(email, password)
    terminal.note(f"signed in as {email}")


async def set_up_interview(api: MocksyClient, terminal: Terminal) -> str:
    """The setup chat, until the candidate accepts the summary; returns the interview id."""
    reply = await api.start_setup()
    terminal.say("Mocksy", reply.reply)
    while not reply.done:
        reply = await api.send_setup_message(reply.setup_id, await terminal.read("You"))
        terminal.say("Mocksy", reply.reply)
    plan = await api.confirm_setup(reply.setup_id)
    stack = ", ".join(plan.tech_stack) or "no particular stack"
    terminal.note(
        f"interview {plan.interview_id}: {len(plan.questions)} questions, {plan.level} "
        f"{plan.role} {plan.interview_type} ({stack})"
    )
    return plan.interview_id


# Interviewer lines after which the candidate is expected to speak (a greeting or an
# acknowledgement is followed by a question; a closing by the end).
AWAITING_ANSWER = frozenset({"question", "follow_up", "other"})


def awaits_answer(session: dict[str, Any]) -> bool:
    """Whether the stored conversation ends with a line the candidate should answer."""
    for turn in reversed(session.get("turns", [])):
        if turn["kind"] == "backchannel":
            continue
        return bool(turn["speaker"] == "interviewer" and turn["kind"] in AWAITING_ANSWER)
    return False


async def candidate_turn(room: InterviewRoom, api: MocksyClient, session_id: str) -> bool:
    """Wait until the interviewer listens after a line that wants an answer; False at the end."""
    # The room says when the interviewer has gone quiet; the stored transcript says whether
    # that is a pause between a greeting and the question or the question itself.
    while await room.your_turn():
        if awaits_answer(await api.session(session_id)):
            return True
        await asyncio.sleep(0.3)
    return False


async def converse_by_text(
    room: InterviewRoom, terminal: Terminal, api: MocksyClient, session_id: str
) -> None:
    """Print what the interviewer says; type an answer whenever it waits for one."""
    printer = asyncio.create_task(_print_lines(room, terminal))
    try:
        while await candidate_turn(room, api, session_id):
            reading = asyncio.ensure_future(terminal.read("You"))
            ended = asyncio.ensure_future(room.ended.wait())
            await asyncio.wait({reading, ended}, return_when=asyncio.FIRST_COMPLETED)
            ended.cancel()
            if not reading.done():
                reading.cancel()
                break
            try:
                answer = reading.result()
            except InputEnded:
                terminal.note("no more input: leaving the interview")
                break
            await room.answer(answer)
    finally:
        await asyncio.sleep(0.5)  # the last line may still be arriving
        printer.cancel()


async def converse_by_voice(room: InterviewRoom, terminal: Terminal) -> None:
    """Speak and listen through the sound devices until the interviewer leaves."""
    devices = SoundDevices(room.room)
    await devices.start()
    printer = asyncio.create_task(_print_lines(room, terminal))
    terminal.note("speak when the interviewer has finished; Ctrl-C leaves")
    try:
        await room.ended.wait()
    finally:
        printer.cancel()
        await devices.stop()


async def _print_lines(room: InterviewRoom, terminal: Terminal) -> None:
    while True:
        line = await room.lines.get()
        terminal.say("Interviewer" if line.by_interviewer else "You (as heard)", line.text)


async def practice(options: PracticeOptions, terminal: Terminal) -> int:
    """The whole practice run; returns the exit status."""
    terminal.start()
    spoken = not options.text
    if spoken and (problem := sound_problem()) is not None:
        terminal.note(f"cannot talk here: {problem}; typing instead (--text)")
        spoken = False
    async with MocksyClient(options.urls) as api:
        try:
            await sign_in(api, options, terminal)
            interview_id = options.interview_id or await set_up_interview(api, terminal)
            join = await api.start_session(interview_id)
            terminal.note(f"session {join.session_id}: joining the interview room")
            room = InterviewRoom()
            await room.join(join.livekit_url, join.token)
            try:
                if spoken:
                    await converse_by_voice(room, terminal)
                else:
                    await converse_by_text(room, terminal, api, join.session_id)
            finally:
                await room.leave()
            state = (await api.session(join.session_id))["state"]
            terminal.note(f"the interview is over ({state}); waiting for your feedback")
            feedback = await api.wait_for_feedback(
                join.session_id, within_s=options.feedback_within_s
            )
        except MocksyApiError as error:
            print(f"mocksy practice: {error}", file=sys.stderr)
            return 1
        except InputEnded:
            print("mocksy practice: input ended before the setup was done", file=sys.stderr)
            return 1
        except TimeoutError as error:
            print(f"mocksy practice: {error}", file=sys.stderr)
            return 1
    terminal.out.write(feedback_report(feedback) + "\n")
    terminal.out.flush()
    return 0


def parser() -> argparse.ArgumentParser:
    """``mocksy`` and its ``practice`` command."""
    root = argparse.ArgumentParser(prog="mocksy", description="Mocksy from a terminal.")
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "practice",
        help="set up an interview by chat, take it (spoken, or typed with --text), read the "
        "feedback",
        description="Sign in, set up an interview by chat, take it in the interview room, and "
        "print the feedback. The password comes from MOCKSY_PASSWORD or a prompt.",
    )
    run.add_argument("--email", default=os.environ.get("MOCKSY_EMAIL"), help="MOCKSY_EMAIL")
    run.add_argument("--name", help="display name for --register (default: from the email)")
    run.add_argument("--register", action="store_true", help="create the account first")
    run.add_argument("--interview", help="practise this interview again (no setup chat)")
    run.add_argument(
        "--text", action="store_true", help="type answers and read the interviewer's lines"
    )
    run.add_argument(
        "--feedback-timeout",
        type=float,
        default=180.0,
        help="seconds to wait for the feedback after the interview (default 180)",
    )
    for name, default in DEFAULT_URLS.items():
        variable = f"MOCKSY_{name.upper()}_URL"
        run.add_argument(
            f"--{name}-url",
            default=os.environ.get(variable) or default,
            help=f"{variable}, default {default}",
        )
    return root


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``mocksy``."""
    args = parser().parse_args(argv)
    if args.feedback_timeout <= 0:
        sys.exit("mocksy practice: --feedback-timeout must be more than 0 seconds")
    options = PracticeOptions(
        urls=ServiceUrls(
            auth=args.auth_url,
            builder=args.builder_url,
            voice=args.voice_url,
            scoring=args.scoring_url,
            history=args.history_url,
        ),
        email=args.email,
        password=os.environ.get("MOCKSY_PASSWORD"),
        name=args.name,
        register=args.register,
        interview_id=args.interview,
        text=args.text,
        feedback_within_s=args.feedback_timeout,
    )
    try:
        sys.exit(asyncio.run(practice(options, Terminal())))
    except KeyboardInterrupt:
        sys.exit(130)
