"""Misbehaving OpenAI-compatible servers on 127.0.0.1, for the LLM paths' fallback tests.

A real HTTP server on a loopback port (no patching): ``garbage`` answers every request with
HTTP 200 and a body that is not a chat completion; ``silent`` reads the request and never
answers, so only the client's own timeout ends the call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Fault = Literal["garbage", "silent"]
GARBAGE = b"<html><body>upstream model crashed; here is some noise {{{</body></html>"


@contextmanager
def faulty_llm(fault: Fault) -> Iterator[str]:
    """A server that misbehaves as ``fault`` says; yields its base URL (ending in /v1)."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if fault == "silent":
                # Hold the connection open until the test is over.
                release.wait(timeout=120)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(GARBAGE)))
            self.end_headers()
            self.wfile.write(GARBAGE)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test output is not the place for an access log

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"llm-{fault}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
