"""Readiness probes for deploy/local/stack (run with the repo venv's python).

    stack_probe.py wait [--progress SECONDS] SPEC [SPEC ...]
    stack_probe.py check SPEC            # one attempt, exit 0 when ready

SPEC is ``name|kind|target|pidfile|timeout_seconds`` where kind is one of

* ``kafka``  target ``host:port``   cluster metadata through aiokafka (brokers + controller)
* ``mongo``  target a MongoDB URI   ``ping`` through pymongo
* ``http``   target a URL           HTTP 200

``wait`` polls every server in parallel until each answers, its process dies (the pid in
pidfile is gone) or its timeout runs out; it prints one line per server as it settles and a
progress line every few seconds for those still starting. Exit status 0 when all are ready.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass
class Spec:
    name: str
    kind: str
    target: str
    pidfile: str
    timeout: float


def parse_spec(raw: str) -> Spec:
    name, kind, target, pidfile, timeout = raw.split("|")
    if kind not in {"kafka", "mongo", "http"}:
        raise SystemExit(f"unknown probe kind {kind!r} in {raw!r}")
    return Spec(name, kind, target, pidfile, float(timeout))


def pid_alive(pidfile: str) -> bool:
    if not pidfile:
        return True
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip() or "0")
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie counts as dead
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


async def probe_kafka(target: str) -> str:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(
        bootstrap_servers=target, request_timeout_ms=3000, connections_max_idle_ms=5000
    )
    try:
        await asyncio.wait_for(admin.start(), 5)
        info = await asyncio.wait_for(admin.describe_cluster(), 5)
    finally:
        await admin.close()
    brokers = info.get("brokers") or []
    controller = info.get("controller_id")
    if not brokers or controller is None or controller < 0:
        raise RuntimeError(f"no broker/controller in metadata yet: {info}")
    return f"cluster {info.get('cluster_id')}, {len(brokers)} broker(s), controller {controller}"


def _probe_mongo_sync(uri: str) -> str:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]] = MongoClient(
        uri, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000
    )
    try:
        client.admin.command("ping")
        version = client.server_info().get("version")
    finally:
        client.close()
    return f"ping ok (reports MongoDB {version})"


async def probe_mongo(uri: str) -> str:
    return await asyncio.to_thread(_probe_mongo_sync, uri)


def _probe_http_sync(url: str) -> str:
    req = urllib.request.Request(url, headers={"User-Agent": "mocksy-stack-probe"})
    with urllib.request.urlopen(req, timeout=3) as resp:
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}")
    return "HTTP 200"


async def probe_http(url: str) -> str:
    return await asyncio.to_thread(_probe_http_sync, url)


def say(line: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(line + "\n")
    stream.flush()


PROBES = {"kafka": probe_kafka, "mongo": probe_mongo, "http": probe_http}


async def probe_once(spec: Spec) -> str:
    return await asyncio.wait_for(PROBES[spec.kind](spec.target), 10)


async def wait_one(spec: Spec, t0: float, done: dict[str, str]) -> bool:
    last_err = ""
    while True:
        if not pid_alive(spec.pidfile):
            say(f"  [FAIL] {spec.name}: process exited while starting ({last_err})")
            done[spec.name] = "failed"
            return False
        try:
            detail = await probe_once(spec)
        except Exception as exc:  # any failure just means "not ready yet"
            last_err = f"{type(exc).__name__}: {exc}".strip()[:200]
        else:
            say(f"  [ok]   {spec.name} ready after {time.monotonic() - t0:.1f}s: {detail}")
            done[spec.name] = "ready"
            return True
        if time.monotonic() - t0 > spec.timeout:
            say(
                f"  [FAIL] {spec.name}: not ready after {spec.timeout:.0f}s"
                f" (last error: {last_err})",
            )
            done[spec.name] = "failed"
            return False
        await asyncio.sleep(1.0)


async def progress(specs: list[Spec], t0: float, done: dict[str, str], every: float) -> None:
    while True:
        await asyncio.sleep(every)
        pending = [s.name for s in specs if s.name not in done]
        if not pending:
            return
        say(
            f"  ...    waiting for {', '.join(pending)} ({time.monotonic() - t0:.0f}s)",
        )


async def wait_all(specs: list[Spec], every: float) -> int:
    t0 = time.monotonic()
    done: dict[str, str] = {}
    ticker = asyncio.create_task(progress(specs, t0, done, every))
    results = await asyncio.gather(*(wait_one(s, t0, done) for s in specs))
    ticker.cancel()
    return 0 if all(results) else 1


async def check(spec: Spec) -> int:
    try:
        say(await probe_once(spec))
    except Exception as exc:
        say(f"not ready: {type(exc).__name__}: {exc}", err=True)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait")
    w.add_argument("--progress", type=float, default=10.0)
    w.add_argument("specs", nargs="+")
    c = sub.add_parser("check")
    c.add_argument("spec")
    args = parser.parse_args()
    # client libraries log every refused connection while a server starts: keep them quiet
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.CRITICAL)
    if args.cmd == "wait":
        return asyncio.run(wait_all([parse_spec(s) for s in args.specs], args.progress))
    return asyncio.run(check(parse_spec(args.spec)))


if __name__ == "__main__":
    sys.exit(main())
