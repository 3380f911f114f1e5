"""A real HTTP proxy in front of a real Docpipe server, for what a network does to clients: answers lost
after the server acted on the request, and busy answers (429/503 with Retry-After). It logs every exchange."""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "trailer"}


@dataclass
class Rule:
    """What to do with the next ``times`` requests matching ``method`` and a path starting with ``path`` (after
    letting ``after`` of them through): ``drop`` forwards the request and closes the connection without
    answering; otherwise answer ``status`` with ``headers`` and ``body`` without forwarding."""

    method: str
    path: str
    times: int = 1
    after: int = 0
    drop: bool = False
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Exchange:
    method: str
    path: str
    status: int | None  # None: dropped after forwarding
    forwarded: bool
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when the request arrived


class Proxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.rules: list[Rule] = []
        self.log: list[Exchange] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-proxy", daemon=True)

    def start(self) -> Proxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(10)
        self._server.server_close()

    def exchanges(self, method: str, path: str) -> list[Exchange]:
        with self._lock:
            return [e for e in self.log if e.method == method and e.path.split("?")[0] == path]

    def take_rule(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.times > 0 and rule.method == method and path.startswith(rule.path):
                    if rule.after > 0:
                        rule.after -= 1
                        continue
                    rule.times -= 1
                    return rule
        return None

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self.log.append(exchange)


def _handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet test output

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            seen = {k: v for k, v in self.headers.items() if k.lower() in ("idempotency-key", "if-none-match")}
            rule = proxy.take_rule(self.command, self.path)
            if rule is not None and not rule.drop:
                proxy.record(Exchange(self.command, self.path, rule.status, False, seen))
                self._answer(rule.status, list(rule.headers.items()), rule.body)
                return
            status, headers, answer = self._forward(body)
            if rule is not None:  # drop: the server acted, the client never hears of it
                proxy.record(Exchange(self.command, self.path, None, True, seen))
                self.close_connection = True
                return
            proxy.record(Exchange(self.command, self.path, status, True, seen))
            self._answer(status, headers, answer)

        def _forward(self, body: bytes | None) -> tuple[int, list[tuple[str, str]], bytes]:
            upstream = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                return response.status, response.getheaders(), response.read()
            finally:
                upstream.close()

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                # send_response wrote its own Server and Date; the length is counted here.
                if name.lower() not in HOP_BY_HOP | {"content-length", "server", "date"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    return Handler
