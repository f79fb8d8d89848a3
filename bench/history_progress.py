"""Benchmark: ``GET /history/progress`` for a user with 1,000 sessions.

Seeds one user's history straight into the MongoDB-compatible server through the service's own
projector (no Kafka), serves the history API with uvicorn in a child process, and loads it from
this process over 127.0.0.1 with a bounded number of requests and a time limit.

    source .stack/env && uv run python bench/history_progress.py [--sessions 1000]

Needs the local stack's FerretDB (or MongoDB) and Keycloak: the token is a real one from the
realm's development user.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from keycloak import KeycloakOpenID
from measuring import LatencyFigures
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from common.events import CATEGORIES, InterviewType, Role
from common.mongo import create_client
from history.repository import MongoHistoryRepository
from history.service import HistoryProjector
from history.testing import EPOCH, Attempt, feedback_ready, interview_created, session_completed

DEV_USER = ("dev@mocksy.local", "dev-only-password-123")
AUTH_CLIENT = ("mocksy-auth", "dev-only-mocksy-auth-secret-change-me")
KINDS: list[tuple[Role, InterviewType]] = [
    ("frontend", "technical"),
    ("backend", "technical"),
    ("fullstack", "behavioral"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def dev_token(keycloak_url: str, realm: str) -> tuple[str, str]:
    """A real access token for the realm's development user, and that user's id."""
    openid = KeycloakOpenID(
        server_url=keycloak_url.rstrip("/") + "/",
        realm_name=realm,
        client_id=AUTH_CLIENT[0],
        client_secret_key=AUTH_CLIENT[1],
    )
    tokens = await openid.a_token(username=DEV_USER[0], password=DEV_USER[1])
    info = await openid.a_userinfo(tokens["access_token"])
    assert isinstance(info, dict)
    return tokens["access_token"], str(info["sub"])


async def retried(write: Callable[[], Awaitable[None]], attempts: int = 5) -> None:
    """Run ``write`` again after a transient database error, like the consumers' retry policy."""
    for attempt in range(1, attempts + 1):
        try:
            await write()
            return
        except PyMongoError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.05 * 2**attempt)


async def seed(mongodb_uri: str, database: str, user_id: str, sessions: int) -> float:
    """Write ``sessions`` attempts (10 per interview) through the projector; returns seconds."""
    client = create_client(mongodb_uri, "mocksy-history-bench")
    repository = MongoHistoryRepository.in_database(client[database])
    await repository.ensure_indexes()
    projector = HistoryProjector(repository)
    rng = random.Random(7)
    # A few writers at once, as the service's three consumers are; FerretDB's SQLite backend
    # answers "database is locked" to many more, which the consumers' retries absorb.
    gate = asyncio.Semaphore(4)

    async def one(n: int) -> None:
        role, kind = KINDS[(n // 10) % len(KINDS)]
        interview_id = f"bench-i{n // 10:04}"
        at = EPOCH + timedelta(hours=12 * n)
        base = 45 + 40 * n / sessions
        attempt = Attempt(
            session_id=f"bench-s{n:05}",
            interview_id=interview_id,
            at=at,
            overall=min(100, max(0, round(base + rng.gauss(0, 8)))),
            categories={c: min(100, max(0, round(base + rng.gauss(0, 12)))) for c in CATEGORIES},
            fillers_per_100=round(max(0.0, 6 - 4 * n / sessions + rng.gauss(0, 0.5)), 2),
            role=role,
            interview_type=kind,
        )
        async with gate:
            if n % 10 == 0:
                created = interview_created(
                    user_id, interview_id, at=at, role=role, interview_type=kind
                )
                await retried(lambda: projector.interview_created(created))
            completed = session_completed(user_id, attempt)
            await retried(lambda: projector.session_completed(completed))
            ready = feedback_ready(user_id, attempt)
            await retried(lambda: projector.feedback_ready(ready))

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(sessions)))
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


def serve(database: str, port: int) -> subprocess.Popen[bytes]:
    """The history API in a child process: uvicorn, one worker, no consumers."""
    env = {
        **os.environ,
        "MOCKSY_HISTORY_DATABASE": database,
        "MOCKSY_HISTORY_HTTP_PORT": str(port),
        "MOCKSY_HISTORY_CONSUME_EVENTS": "false",
        "MOCKSY_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-c", "from history.cli import main; main()"], env=env)


async def wait_until_up(base: str, within: float = 30.0) -> None:
    async with httpx.AsyncClient() as http, asyncio.timeout(within):
        while True:
            try:
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


async def load(
    base: str,
    token: str,
    params: dict[str, Any],
    *,
    requests: int,
    concurrency: int,
    max_seconds: float,
) -> dict[str, Any]:
    """Send at most ``requests`` GETs with ``concurrency`` in flight, for at most max_seconds."""
    latencies: list[float] = []
    errors = 0
    size = 0
    remaining = requests
    deadline = time.perf_counter() + max_seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:

        async def worker() -> None:
            nonlocal remaining, errors, size
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                started = time.perf_counter()
                response = await http.get("/history/progress", params=params)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1
                size = len(response.content)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "latency": LatencyFigures.of([seconds * 1000 for seconds in latencies]),
        "throughput_rps": len(latencies) / wall,
        "response_bytes": size,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=400, help="per scenario")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per scenario")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    args = parser.parse_args()

    mongodb_uri = os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27117/")
    keycloak_url = os.environ.get("KEYCLOAK_URL", "http://127.0.0.1:18080")
    realm = os.environ.get("KEYCLOAK_REALM", "mocksy")
    database = f"history_bench_{uuid.uuid4().hex[:8]}"

    token, user_id = await dev_token(keycloak_url, realm)
    seconds = await seed(mongodb_uri, database, user_id, args.sessions)
    print(f"seeded {args.sessions} sessions for one user in {seconds:.1f}s ({database})")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(database, port)
    try:
        await wait_until_up(base)
        # A fresh token: seeding may have taken a good part of the access token's lifetime.
        token, _ = await dev_token(keycloak_url, realm)
        await load(base, token, {}, requests=5, concurrency=1, max_seconds=30)  # warm-up
        print(
            f"{'scenario':<34} {'n':>5} {'err':>4} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
            f"{'max ms':>8} {'req/s':>7} {'bytes':>8}"
        )
        for label, params in [("last=100 (default)", {}), ("last=1000 (all)", {"last": 1000})]:
            for concurrency in (1, 8):
                result = await load(
                    base,
                    token,
                    params,
                    requests=args.requests,
                    concurrency=concurrency,
                    max_seconds=args.seconds,
                )
                name = f"{label}, concurrency {concurrency}"
                figures: LatencyFigures = result["latency"]
                print(
                    f"{name:<34} {result['requests']:>5} {result['errors']:>4} "
                    f"{figures.p50:>8.1f} {figures.p90:>8.1f} {figures.p99:>8.1f} "
                    f"{figures.max:>8.1f} {result['throughput_rps']:>7.1f} "
                    f"{result['response_bytes']:>8}"
                )
    finally:
        server.terminate()
        server.wait(timeout=15)
        if not args.keep:
            mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
            await mongo.drop_database(database)
            await mongo.close()


if __name__ == "__main__":
    asyncio.run(main())
