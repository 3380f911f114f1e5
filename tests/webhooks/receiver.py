"""A real HTTP(S) receiver on 127.0.0.1 for webhook tests: records every request and connection, and answers
as the test tells it (200, 500, 410, a redirect, Retry-After, or slowly)."""

from __future__ import annotations

import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (a slow receiver).
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def text(self) -> str:
        return self.body.decode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self):
        accepted = super().get_request()
        with self.receiver.lock:
            self.receiver.connections += 1
        return accepted

    def handle_error(self, request, client_address) -> None:
        # A client that gave up (our timeout) breaks the pipe: expected here, not worth a traceback.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = receiver.record(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()))
        if reply.delay:
            receiver.released.wait(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format, *args) -> None:
        pass


class Receiver:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.lock = threading.Lock()
        self.requests: list[Received] = []
        self.connections = 0
        self.default = Reply()
        self.queued: deque[Reply] = deque()
        self.released = threading.Event()
        self._server = _Server(self)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver", daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *replies: Reply, default: Reply | None = None) -> None:
        """Answer the next requests with ``replies`` in order, then with ``default`` (200 unless given)."""
        with self.lock:
            self.queued.extend(replies)
            if default is not None:
                self.default = default

    def record(self, request: Received) -> Reply:
        with self.lock:
            self.requests.append(request)
            return self.queued.popleft() if self.queued else self.default

    def of_type(self, event_type: str) -> list[Received]:
        import json

        return [r for r in self.requests if json.loads(r.body)["type"] == event_type]

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
