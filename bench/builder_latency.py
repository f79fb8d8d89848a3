"""Interview-builder latency: setup-chat messages and interview creation, p50/p95.

With the local stack's variables set (`source .stack/env`) it starts `mocksy-builder serve` as a
separate process on loopback, on its own database, with a real Keycloak user's token, and its
outbox relay publishing to the real Kafka; otherwise (or with --in-memory) the app runs in this
process over in-memory collections with a fake realm's tokens.

Run: uv run python bench/builder_latency.py [--chats 40] [--interviews 200] [--in-memory]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

SCRIPTS = (
    (
        "I'm preparing for a backend role",
        "senior",
        "technical",
        "python, kafka and redis",
        "make it 6 questions",
        "yes",
    ),
    ("frontend please", "junior", "a mix of both", "react and typescript", "yes"),
    (
        "mid level fullstack, mixed interview",
        "node and postgres",
        "actually make it senior",
        "8 questions",
        "yes",
    ),
    ("backend", "mid", "behavioral only", "4 questions", "yes"),
)
CREATE_BODIES = (
    {"role": "backend", "interview_type": "technical", "level": "senior",
     "tech_stack": ["go", "kafka"], "question_count": 6},
    {"role": "frontend", "interview_type": "mixed", "level": "mid",
     "tech_stack": ["react", "css"], "question_count": 8},
    {"role": "fullstack", "interview_type": "behavioral", "level": "junior", "question_count": 5},
)  # fmt: skip


@dataclass
class Timings:
    """Seconds per request, by operation."""

    samples: dict[str, list[float]] = field(default_factory=dict)

    async def time(
        self, name: str, request: Awaitable[httpx.Response], expect: int
    ) -> httpx.Response:
        began = time.perf_counter()
        response = await request
        self.samples.setdefault(name, []).append(time.perf_counter() - began)
        if response.status_code != expect:
            raise RuntimeError(f"{name}: HTTP {response.status_code}: {response.text[:300]}")
        return response

    def report(self) -> None:
        for name, values in self.samples.items():
            cuts = statistics.quantiles(values, n=100, method="inclusive")
            print(
                f"{name:<32} n={len(values):<5} p50={cuts[49] * 1000:7.1f} ms   "
                f"p95={cuts[94] * 1000:7.1f} ms   max={max(values) * 1000:7.1f} ms"
            )


async def run(client: httpx.AsyncClient, headers: dict[str, str], args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    timings = Timings()
    semaphore = asyncio.Semaphore(args.concurrency)

    async def one_chat() -> None:
        async with semaphore:
            started = await timings.time("POST /setup", client.post("/setup", headers=headers), 201)
            setup_id = started.json()["setup_id"]
            for text in rng.choice(SCRIPTS):
                await timings.time(
                    "POST /setup/{id}/messages",
                    client.post(
                        f"/setup/{setup_id}/messages", json={"text": text}, headers=headers
                    ),
                    200,
                )
            await timings.time(
                "POST /setup/{id}/confirm",
                client.post(f"/setup/{setup_id}/confirm", headers=headers),
                201,
            )

    async def one_interview() -> None:
        async with semaphore:
            await timings.time(
                "POST /interviews",
                client.post("/interviews", json=rng.choice(CREATE_BODIES), headers=headers),
                201,
            )

    # A few untimed requests first: imports, connection pools and the JWKS fetch.
    for _ in range(3):
        await client.post("/interviews", json=CREATE_BODIES[0], headers=headers)
    began = time.perf_counter()
    await asyncio.gather(*(one_chat() for _ in range(args.chats)))
    await asyncio.gather(*(one_interview() for _ in range(args.interviews)))
    elapsed = time.perf_counter() - began
    timings.report()
    total = sum(len(values) for values in timings.samples.values())
    print(f"{total} requests in {elapsed:.1f} s at concurrency {args.concurrency}")


@asynccontextmanager
async def in_memory() -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    from asgi_lifespan import LifespanManager

    from common.testing.identity import FakeIdentityProvider
    from interview_builder.app import create_app
    from interview_builder.settings import BuilderSettings
    from interview_builder.testing import InMemoryDatabase

    realm = FakeIdentityProvider()
    app = create_app(
        BuilderSettings(llm_base_url=None), validator=realm.validator(), database=InMemoryDatabase()
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://builder") as client:
            yield client, {"Authorization": f"Bearer {realm.token(sub='bench-user')}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@asynccontextmanager
async def on_the_stack() -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    from keycloak import KeycloakAdmin, KeycloakOpenID

    from common.mongo import create_client

    keycloak = os.environ["KEYCLOAK_URL"] + "/"
    realm = os.environ.get("KEYCLOAK_REALM", "mocksy")
    admin = KeycloakAdmin(
        server_url=keycloak,
        username=os.environ.get("KEYCLOAK_ADMIN_USERNAME", "admin"),
        password=os.environ.get("KEYCLOAK_ADMIN_PASSWORD", "admin"),
        realm_name=realm,
        user_realm_name="master",
    )
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    password = "practice-makes-perfect"
    user_id = await admin.a_create_user(
        {
            "username": email,
            "email": email,
            "enabled": True,
            "emailVerified": True,
            "firstName": "Bench",
            "lastName": "Candidate",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        }
    )
    database = f"interview_builder_bench_{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {
        **os.environ,
        "MOCKSY_BUILDER_HTTP_PORT": str(port),
        "MOCKSY_BUILDER_DATABASE": database,
        "MOCKSY_LOG_LEVEL": "WARNING",
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from interview_builder.cli import main; main(['serve'])", env=env
    )
    try:
        openid = KeycloakOpenID(
            server_url=keycloak,
            realm_name=realm,
            client_id=os.environ.get("KEYCLOAK_AUTH_CLIENT_ID", "mocksy-auth"),
            client_secret_key=os.environ["KEYCLOAK_AUTH_CLIENT_SECRET"],
        )
        token = (await openid.a_token(username=email, password=password))["access_token"]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await _wait_ready(client, server)
            yield client, {"Authorization": f"Bearer {token}"}
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)
        mongo = create_client(os.environ["MONGODB_URI"], "mocksy-builder-bench")
        await mongo.drop_database(database)
        await mongo.close()
        await admin.a_delete_user(user_id)


async def _wait_ready(client: httpx.AsyncClient, server: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.returncode is not None:
            raise RuntimeError(f"mocksy-builder serve exited with {server.returncode}")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.3)
    raise RuntimeError("mocksy-builder serve did not become ready within 60 s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=40, help="setup chats, 5-6 messages each")
    parser.add_argument("--interviews", type=int, default=200, help="POST /interviews calls")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--in-memory", action="store_true", help="no servers: in-process app")
    args = parser.parse_args()
    if not 1 <= args.chats <= 1000 or not 1 <= args.interviews <= 5000:
        parser.error("--chats must be 1..1000 and --interviews 1..5000")
    if not 1 <= args.concurrency <= 64:
        parser.error("--concurrency must be between 1 and 64")

    use_stack = not args.in_memory and bool(os.environ.get("MONGODB_URI"))
    if use_stack:
        print(
            "mode: mocksy-builder serve on loopback, FerretDB/MongoDB, Kafka relay, Keycloak token"
        )
        target = on_the_stack()
    else:
        print("mode: in-process app, in-memory collections, fake realm token")
        target = in_memory()
    async with target as (client, headers):
        await run(client, headers, args)


if __name__ == "__main__":
    asyncio.run(main())
