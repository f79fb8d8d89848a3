"""Load test: the HTTP APIs and the event pipeline on the local stack, bounded in count and time.

Loopback only: it refuses to run when a server address is not 127.0.0.1 or localhost. It starts
``mocksy-builder serve``, ``mocksy-scoring serve`` and ``mocksy-history`` as child processes on
free loopback ports, each with a service name and database of its own (their consumer groups
pinned to the current end of the topics first), and creates a few real Keycloak users whose
password-grant tokens it sends with every request. Then, in order:

1. the event pipeline: ``--sessions`` SessionCompleted events (the sample transcript, one
   session each, spread over the users) are published at ``--rate`` per second; each one's
   latency runs from just before its publish to the first poll of the history API that shows
   its feedback (SessionCompleted → scoring → FeedbackReady → history), and every session must
   also be readable from the scoring API;
2. the HTTP APIs: ``--requests`` requests from ``--concurrency`` concurrent clients, a fixed
   mix of reads and writes (create interviews, start setup chats, list and read interviews,
   history lists, progress, feedback from history and scoring).

It prints sustained throughput, p50/p95/p99 and the error count, and exits non-zero when
anything failed or the ``--seconds`` cap was hit. Without the local stack it says it is
skipped and exits 0 (``make bench`` runs every script here).

    source .stack/env && uv run python bench/load.py [--requests 3000] [--concurrency 8]
        [--sessions 200] [--rate 10] [--users 4] [--seconds 240 (a phase)]

Another scoring or history process on the same Kafka (``make dev``) also handles the
published sessions under its own consumer group; it shares the machine, not the work.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata, TopicPartition
from keycloak import KeycloakAdmin, KeycloakOpenID
from measuring import LatencyFigures, Publication, publish_and_wait
from pymongo import AsyncMongoClient

from common.events import FEEDBACK_READY, INTERVIEW_CREATED, SESSION_COMPLETED, SessionCompleted

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "services/scoring/tests/fixtures/mixed_session.json"
PASSWORD = "load-test-password-1"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Polling history costs it reads that compete with its consumers on a 2-core machine; once a
# second bounds that to a request per user per second, at up to a second of extra latency.
POLL_S = 1.0
TOKEN_REFRESH_S = 180.0


@dataclass(frozen=True)
class Stack:
    """Addresses of the local stack, from the variables ``.stack/env`` exports."""

    kafka: str
    mongodb_uri: str
    keycloak_url: str
    realm: str
    admin_user: str
    admin_password: str
    client_id: str
    client_secret: str

    @classmethod
    def from_environment(cls) -> Stack | None:
        env = os.environ
        if not all(env.get(n) for n in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "KEYCLOAK_URL")):
            return None
        return cls(
            kafka=env["KAFKA_BOOTSTRAP_SERVERS"],
            mongodb_uri=env["MONGODB_URI"],
            keycloak_url=env["KEYCLOAK_URL"],
            realm=env.get("KEYCLOAK_REALM", "mocksy"),
            admin_user=env.get("KEYCLOAK_ADMIN_USERNAME", "admin"),
            admin_password=env.get("KEYCLOAK_ADMIN_PASSWORD", "admin"),
            client_id=env.get("KEYCLOAK_AUTH_CLIENT_ID", "mocksy-auth"),
            client_secret=env.get("KEYCLOAK_AUTH_CLIENT_SECRET", ""),
        )

    def hosts(self) -> dict[str, str]:
        """The host each server is reached at."""
        found = {
            "KAFKA_BOOTSTRAP_SERVERS": [s.rsplit(":", 1)[0] for s in self.kafka.split(",")],
            "MONGODB_URI": [urlsplit(self.mongodb_uri).hostname or ""],
            "KEYCLOAK_URL": [urlsplit(self.keycloak_url).hostname or ""],
        }
        return {f"{name} {host}": host for name, hosts in found.items() for host in hosts}


@dataclass
class Timings:
    """Latencies (ms) per label, and what went wrong."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)

    def all(self) -> list[float]:
        return sorted(x for values in self.latencies.values() for x in values)


def summary(values: list[float]) -> str:
    return LatencyFigures.of(values).line("p50", "p95", "p99", "max", width=7)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Service:
    """A service under test running as a child process."""

    name: str  # e.g. "scoring"
    service_name: str  # its consumer groups are mocksy-<service_name>.<consumer>
    database: str
    port: int
    command: str
    prefix: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            f"{self.prefix}SERVICE_NAME": self.service_name,
            f"{self.prefix}DATABASE": self.database,
            f"{self.prefix}HTTP_HOST": "127.0.0.1",
            f"{self.prefix}HTTP_PORT": str(self.port),
            "MOCKSY_LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.command],
            env=env,
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def services(run: str) -> dict[str, Service]:
    def make(name: str, module: str, prefix: str, call: str) -> Service:
        return Service(
            name=name,
            service_name=f"{name}-load-{run}",
            database=f"{name.replace('-', '_')}_load_{run}",
            port=free_port(),
            command=f"import sys; from {module} import main; sys.exit({call})",
            prefix=prefix,
        )

    return {
        "builder": make("builder", "interview_builder.cli", "MOCKSY_BUILDER_", "main(['serve'])"),
        "scoring": make("scoring", "scoring.cli", "MOCKSY_SCORING_", "main(['serve'])"),
        "history": make("history", "history.cli", "MOCKSY_HISTORY_", "main()"),
    }


GROUPS = {
    "scoring": {"session-completed": SESSION_COMPLETED},
    "history": {
        "interview-created": INTERVIEW_CREATED,
        "session-completed": SESSION_COMPLETED,
        "feedback-ready": FEEDBACK_READY,
    },
}


async def pin_to_the_end(bootstrap: str, groups: dict[str, str]) -> None:
    """Commit each topic's current end for its group, so a new service skips the backlog."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(sorted(set(groups.values())))
    finally:
        await admin.close()
    partitions = {
        t["topic"]: [TopicPartition(t["topic"], p["partition"]) for p in t["partitions"]]
        for t in described
    }
    for group_id, topic in groups.items():
        if not partitions.get(topic):
            continue
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False
        )
        await consumer.start()
        try:
            consumer.assign(partitions[topic])
            ends = await consumer.end_offsets(partitions[topic])
            await consumer.commit({tp: OffsetAndMetadata(end, "") for tp, end in ends.items()})
        finally:
            await consumer.stop()


async def wait_until_ready(http: httpx.AsyncClient, base: str, within: float = 90.0) -> None:
    async with asyncio.timeout(within):
        while True:
            try:
                if (await http.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)


@dataclass
class User:
    user_id: str
    email: str
    headers: dict[str, str] = field(default_factory=dict)
    interview_id: str = ""


class Realm:
    """Real Keycloak users for the run, and their tokens."""

    def __init__(self, stack: Stack) -> None:
        self.admin = KeycloakAdmin(
            server_url=stack.keycloak_url + "/",
            username=stack.admin_user,
            password=stack.admin_password,
            realm_name=stack.realm,
            user_realm_name="master",
        )
        self.openid = KeycloakOpenID(
            server_url=stack.keycloak_url + "/",
            realm_name=stack.realm,
            client_id=stack.client_id,
            client_secret_key=stack.client_secret,
        )
        self.users: list[User] = []
        self._signed_in_at = 0.0
        self._signing_in = asyncio.Lock()

    async def create(self, count: int, run: str) -> list[User]:
        for n in range(count):
            email = f"load-{run}-{n}@example.com"
            user_id = await self.admin.a_create_user(
                {
                    "username": email,
                    "email": email,
                    "firstName": "Load",
                    "lastName": f"Candidate{n}",
                    "enabled": True,
                    "emailVerified": True,
                    "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
                }
            )
            self.users.append(User(user_id, email))
        await self.sign_in()
        return self.users

    async def sign_in(self) -> None:
        """Fresh access tokens for every user."""
        for user in self.users:
            tokens = await self.openid.a_token(username=user.email, password=PASSWORD)
            user.headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        self._signed_in_at = time.monotonic()

    async def keep_signed_in(self) -> None:
        """Sign in again well before the tokens' five minutes are up."""
        async with self._signing_in:
            if time.monotonic() - self._signed_in_at > TOKEN_REFRESH_S:
                await self.sign_in()

    async def remove(self) -> None:
        for user in self.users:
            await self.admin.a_delete_user(user.user_id)


def transcripts(users: list[User], count: int, run: str) -> list[SessionCompleted]:
    document: dict[str, Any] = json.loads(TEMPLATE.read_text())
    events = []
    for n in range(count):
        user = users[n % len(users)]
        document.update(
            session_id=f"load-{run}-{n:05}", interview_id=user.interview_id, user_id=user.user_id
        )
        events.append(SessionCompleted.model_validate({"data": document}))
    return events


async def feedback_seen(http: httpx.AsyncClient, base: str, user: User) -> set[str]:
    """Session ids whose feedback the user's history lists."""
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = await http.get(f"{base}/history/feedback", params=params, headers=user.headers)
        response.raise_for_status()
        body = response.json()
        seen.update(i["session_id"] for i in body["items"] if i["feedback_id"])
        cursor = body["next_cursor"]
        if not cursor:
            return seen


async def pipeline(
    args: argparse.Namespace,
    stack: Stack,
    run: str,
    realm: Realm,
    running: dict[str, Service],
    http: httpx.AsyncClient,
    seconds: float,
) -> tuple[Timings, Timings, dict[str, list[str]]]:
    """Publish the sessions, time each until history lists its feedback; also each user's."""
    users = realm.users
    deadline = time.perf_counter() + seconds
    timings = Timings()
    events = transcripts(users, args.sessions, run)
    owner = {
        e.data.session_id: next(u for u in users if u.user_id == e.data.user_id) for e in events
    }
    arrived: dict[str, float] = {}
    arrived_wall: dict[str, float] = {}
    stages = Timings()

    async def watch(publication: Publication) -> None:
        published = publication.at
        while len(arrived) < len(events) and time.perf_counter() < deadline:
            await realm.keep_signed_in()
            waiting = {owner[s].user_id for s in published if s not in arrived}
            for user in users:
                if user.user_id not in waiting and len(published) == len(events):
                    continue
                for session_id in await feedback_seen(http, running["history"].base, user):
                    if session_id in published and session_id not in arrived:
                        arrived[session_id] = time.perf_counter()
                        arrived_wall[session_id] = time.time()
            await asyncio.sleep(POLL_S)

    publication, _ = await publish_and_wait(
        stack.kafka, f"load-producer-{run}", events, rate=args.rate, wait=watch
    )
    published, published_wall, started = publication.at, publication.wall, publication.started
    for session_id, at in published.items():
        if session_id in arrived:
            timings.latencies["SessionCompleted -> history"].append(
                (arrived[session_id] - at) * 1000
            )
        else:
            timings.errors.append(f"{session_id}: feedback never reached history")
    # This run's scoring service stored feedback on every one of them; its created_at (same
    # machine, same clock) splits the latency into scoring and the way on to history.
    await realm.keep_signed_in()
    for session_id in published:
        response = await http.get(
            f"{running['scoring'].base}/feedback/{session_id}", headers=owner[session_id].headers
        )
        if response.status_code != 200:
            timings.errors.append(
                f"scoring has no feedback on {session_id}: {response.status_code}"
            )
            continue
        stored = datetime.fromisoformat(response.json()["created_at"]).timestamp()
        stages.latencies["published -> feedback stored"].append(
            (stored - published_wall[session_id]) * 1000
        )
        if session_id in arrived:
            stages.latencies["feedback stored -> in history"].append(
                (arrived_wall[session_id] - stored) * 1000
            )
    wall = (max(arrived.values()) if arrived else time.perf_counter()) - started
    if arrived:
        print(
            f"pipeline: {len(events)} sessions published "
            + (f"at {args.rate:g}/s" if args.rate > 0 else "all at once")
            + f"; {len(arrived)} reached history in {wall:.1f} s "
            f"= {len(arrived) / wall:.1f} sessions/s sustained"
        )
    by_user: dict[str, list[str]] = defaultdict(list)
    for session_id in published:
        by_user[owner[session_id].user_id].append(session_id)
    return timings, stages, by_user


@dataclass(frozen=True)
class Request:
    label: str
    service: str
    method: str
    path: str
    expect: int
    body: dict[str, Any] | None = None
    params: dict[str, Any] | None = None


def request_mix(
    users: list[User], sessions: dict[str, list[str]]
) -> Iterator[tuple[User, Request]]:
    """The same mix every run, every user in turn: two writes in every ten requests."""
    for n in itertools.count():
        user = users[n % len(users)]
        turn = n // len(users)
        own = sessions.get(user.user_id) or ["no-session"]
        mine = own[turn % len(own)]
        mix = [
            Request(
                "POST /interviews",
                "builder",
                "POST",
                "/interviews",
                201,
                body={"role": "backend", "interview_type": "technical", "level": "mid"},
            ),
            Request("GET /interviews", "builder", "GET", "/interviews", 200),
            Request(
                "GET /interviews/{id}", "builder", "GET", f"/interviews/{user.interview_id}", 200
            ),
            Request("GET /history/interviews", "history", "GET", "/history/interviews", 200),
            Request("GET /history/feedback", "history", "GET", "/history/feedback", 200),
            Request("POST /setup", "builder", "POST", "/setup", 201, body={"text": "mid backend"}),
            Request("GET /history/progress", "history", "GET", "/history/progress", 200),
            Request("GET /history/insights", "history", "GET", "/history/insights", 200),
            Request(
                "GET /history/feedback/{id}", "history", "GET", f"/history/feedback/{mine}", 200
            ),
            Request("GET /feedback/{id}", "scoring", "GET", f"/feedback/{mine}", 200),
        ]
        yield user, mix[turn % len(mix)]


async def http_load(
    args: argparse.Namespace,
    realm: Realm,
    sessions: dict[str, list[str]],
    running: dict[str, Service],
    http: httpx.AsyncClient,
    seconds: float,
) -> Timings:
    """``--requests`` requests from ``--concurrency`` clients, closed loop."""
    deadline = time.perf_counter() + seconds
    timings = Timings()
    plan = request_mix(realm.users, sessions)
    remaining = args.requests

    async def client() -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            await realm.keep_signed_in()
            user, request = next(plan)
            url = running[request.service].base + request.path
            began = time.perf_counter()
            try:
                response = await http.request(
                    request.method,
                    url,
                    json=request.body,
                    params=request.params,
                    headers=user.headers,
                )
            except httpx.HTTPError as error:
                timings.errors.append(f"{request.label}: {error!r}")
                continue
            elapsed = (time.perf_counter() - began) * 1000
            if response.status_code != request.expect:
                timings.errors.append(
                    f"{request.label}: {response.status_code} {response.text[:200]}"
                )
            else:
                timings.latencies[request.label].append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(args.concurrency)))
    wall = time.perf_counter() - started
    done = sum(len(v) for v in timings.latencies.values())
    if remaining > 0:
        timings.errors.append(f"time cap reached with {remaining} requests not sent")
    print(
        f"http: {done} requests answered in {wall:.1f} s by {args.concurrency} concurrent "
        f"clients = {done / wall:.0f} requests/s sustained"
    )
    return timings


def report(title: str, timings: Timings) -> None:
    print(f"-- {title}")
    for label, values in sorted(timings.latencies.items()):
        print(f"  {label:<30} n={len(values):<5} {summary(values)}")
    overall = timings.all()
    if overall:
        print(f"  {'all':<30} n={len(overall):<5} {summary(overall)}")
    print(f"  errors: {len(timings.errors)}")
    for error in timings.errors[:10]:
        print(f"    {error}")


async def consumer_report(http: httpx.AsyncClient, running: dict[str, Service]) -> None:
    """Records each consumer handled and its mean handler time, from the services' metrics."""
    # Counts include what other producers on the shared topics published during the run.
    print("-- consumers (from /metrics)")
    for name in ("scoring", "history"):
        text = (await http.get(f"{running[name].base}/metrics")).text
        sums: dict[str, float] = defaultdict(float)
        counts: dict[str, float] = defaultdict(float)
        handled: dict[str, float] = defaultdict(float)
        for line in text.splitlines():
            if line.startswith("#") or 'topic="' not in line:
                continue
            topic = line.split('topic="', 1)[1].split('"', 1)[0]
            value = float(line.rsplit(" ", 1)[1])
            if "_event_handler_duration_seconds_sum" in line:
                sums[topic] += value
            elif "_event_handler_duration_seconds_count" in line:
                counts[topic] += value
            elif "_events_consumed_total" in line and 'outcome="processed"' in line:
                handled[topic] += value
        for topic in sorted(counts):
            mean = sums[topic] / counts[topic] * 1000 if counts[topic] else 0.0
            print(
                f"  {name:<8} {topic:<30} processed {handled[topic]:6.0f}  "
                f"mean handler {mean:7.1f} ms"
            )


async def seed(users: list[User], running: dict[str, Service], http: httpx.AsyncClient) -> None:
    """One interview per user, so the sessions belong to interviews their history knows."""
    for user in users:
        response = await http.post(
            f"{running['builder'].base}/interviews",
            json={"role": "fullstack", "interview_type": "mixed", "level": "mid"},
            headers=user.headers,
        )
        response.raise_for_status()
        user.interview_id = response.json()["id"]


async def reachable(stack: Stack) -> bool:
    async with httpx.AsyncClient(timeout=3) as http:
        try:
            await http.get(f"{stack.keycloak_url}/realms/{stack.realm}")
        except httpx.HTTPError:
            return False
    return True


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="HTTP requests in all")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--sessions", type=int, default=200, help="SessionCompleted events")
    parser.add_argument("--rate", type=float, default=10.0, help="sessions/s; 0 = all at once")
    parser.add_argument("--users", type=int, default=4, help="Keycloak users to spread load over")
    parser.add_argument("--seconds", type=float, default=240.0, help="time cap of each phase")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    stack = Stack.from_environment()
    if stack is None or not await reachable(stack):
        print(
            "load: skipped, needs the local stack (`make dev` or `deploy/local/stack up`, "
            "then `source .stack/env`)"
        )
        return 0
    remote = [where for where, host in stack.hosts().items() if host not in LOOPBACK]
    if remote:
        print(f"load: refusing to run against non-loopback servers: {', '.join(remote)}")
        return 2

    began = time.perf_counter()
    run = uuid.uuid4().hex[:8]
    running = services(run)
    realm = Realm(stack)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_uri)
    failures = 0
    print(f"load: run {run}, {os.cpu_count()} cores, loopback, cap {args.seconds:.0f} s a phase")
    try:
        await pin_to_the_end(
            stack.kafka,
            {
                f"mocksy-{running[service].service_name}.{name}": topic
                for service, consumers in GROUPS.items()
                for name, topic in consumers.items()
            },
        )
        for service in running.values():
            service.start()
        users = await realm.create(args.users, run)
        limits = httpx.Limits(max_connections=args.concurrency * 3)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            for service in running.values():
                await wait_until_ready(http, service.base)
            await seed(users, running, http)

            flow, stages, sessions = await pipeline(
                args, stack, run, realm, running, http, args.seconds
            )
            report("event pipeline: SessionCompleted published -> feedback listed by history", flow)
            report("the same in two stages (wall clock)", stages)
            load = await http_load(args, realm, sessions, running, http, args.seconds)
            report("HTTP APIs (builder, history, scoring), latency per request", load)
            await consumer_report(http, running)
            failures = len(flow.errors) + len(load.errors)
    finally:
        for service in running.values():
            service.stop()
        for service in running.values():
            await mongo.drop_database(service.database)
        await mongo.close()
        await realm.remove()
    print(
        f"load: {'FAILED' if failures else 'ok'}, {failures} errors, "
        f"{time.perf_counter() - began:.0f} s in all"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
