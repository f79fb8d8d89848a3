"""``mocksy practice --text`` end to end: a person without a browser types a whole interview.

The command runs as a subprocess against the services of ``mocksy_services``, with its answers
piped on standard input: the setup chat, then an answer to every question and follow-up.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
import uuid
from pathlib import Path

from mocksy_practice.api import MocksyClient, ServiceUrls
from tests.integration.mocksy_services import MocksyServices

MOCKSY = Path(sys.executable).parent / "mocksy"
PASSWORD = "practice-Password-1"
SETUP = ["backend role, mid level, a technical interview on python with 2 questions", "yes"]
# Substantive answers for every turn: the interviewer asks at most two follow-ups per question,
# so two questions need at most six; the rest is never read.
ANSWERS = [
    "I would measure first, then profile the slow path, and keep the design simple so the "
    "team can maintain it; I would add tests and monitoring before changing anything.",
    "For example, I would use a worker pool behind a reverse proxy, cache repeated reads, and "
    "explain the trade-offs between latency, memory and complexity.",
    "The time complexity matters: I would pick a data structure with constant-time lookups "
    "and avoid quadratic loops over large inputs.",
    "I would handle errors explicitly, log them with context, and retry only idempotent "
    "operations with a backoff.",
    "I would write the critical paths first, review them with the team, and measure the "
    "result in production with metrics and tracing.",
    "In short, I choose the simplest solution that meets the requirements and revisit it "
    "when the measurements say so.",
    "I would also document the decision and the alternatives I rejected.",
    "That is all I would add.",
]


async def test_practice_by_text_from_setup_to_feedback_report(
    mocksy_services: MocksyServices,
) -> None:
    email = f"practice-{uuid.uuid4().hex[:10]}@example.com"
    env = {**os.environ, **mocksy_services.client_env(), "MOCKSY_PASSWORD": PASSWORD}
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        str(MOCKSY),
        "practice",
        "--text",
        "--register",
        "--email",
        email,
        "--feedback-timeout",
        "120",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    typed = "\n".join([*SETUP, *ANSWERS]) + "\n"
    try:
        async with asyncio.timeout(360):
            out, err = await process.communicate(typed.encode())
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(
            f"mocksy practice did not finish; stdout:\n{out.decode()}\nstderr:\n"
            f"{err.decode()[-3000:]}\n{mocksy_services.log_tails(30)}"
        ) from None
    stdout = out.decode()
    print(stdout)
    print(f"mocksy practice --text took {time.monotonic() - started:.1f} s")
    assert process.returncode == 0, f"{stdout}\n{err.decode()[-3000:]}"

    # The interviewer's lines were shown, and the typed answers reached it as turns.
    interviewer = [line for line in stdout.splitlines() if line.startswith("Interviewer: ")]
    assert len(interviewer) >= 4  # greeting, two questions, closing
    session = re.search(r"\[session (\S+): joining", stdout)
    assert session is not None, stdout
    for heading in ("Overall: ", "Categories:", "Strengths:", "To improve:", "Final assessment:"):
        assert heading in stdout

    # What the report printed is what the history API holds for this candidate.
    async with MocksyClient(
        ServiceUrls(auth=mocksy_services.auth_url, history=mocksy_services.history_url)
    ) as api:
        await api.sign_in(email, PASSWORD)
        feedback = await api.wait_for_feedback(session.group(1), within_s=10)
        assert f"Overall: {feedback.overall_score}/100" in stdout
        attempt = await api.attempt(session.group(1))
    assert attempt is not None
    questions = attempt["questions"]
    print(f"stored answers: {[q['answer'][:60] for q in questions]}")
    assert len(questions) == 2  # as the setup chat asked
    # The typed words are the stored answer, verbatim: no speech recognition in between.
    assert ANSWERS[0][:40].lower() in questions[0]["answer"].lower()
    assert all(q["answer"] for q in questions)
