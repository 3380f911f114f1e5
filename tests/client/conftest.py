"""Client fixtures: the real app behind a real HTTP server, a worker thread running its jobs with the real worker
code, and an operator's API key."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from tests.client.proxy import Proxy
from tests.dashboard.conftest import live_server  # noqa: F401 - the real app on a real port
from webapp.client import DocpipeClient, RetryPolicy

# Short pauses so that tests of retries take seconds, not minutes.
FAST_RETRY = RetryPolicy(attempts=4, backoff=0.05, max_pause=3)


@pytest.fixture
def operator_key(accounts) -> str:
    return accounts.ensure("operator")


@pytest.fixture
def docpipe(live_server, operator_key):  # noqa: F811
    """DocpipeClient as an operator, over HTTP to the live server."""
    with DocpipeClient(live_server.url, operator_key, timeout=30, retry=FAST_RETRY) as docpipe:
        yield docpipe


@pytest.fixture
def worker(work_queue):
    """Runs queued jobs in a thread the way a consumer would, while the test waits for them over HTTP."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            work_queue()
            stop.wait(0.05)

    thread = threading.Thread(target=loop, name="test-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(60)


@pytest.fixture
def proxy(live_server):  # noqa: F811
    running = Proxy(live_server.url).start()
    yield running
    running.stop()


@contextmanager
def serve(app) -> Iterator[str]:
    """``app`` on a free loopback port, in a thread, like ``live_server``; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="small-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@pytest.fixture
def small_uploads(app, make_app) -> Iterator[str]:
    """The URL of the app with DOCPIPE_MAX_UPLOAD_MB=1, on the test database like ``live_server``."""
    with serve(make_app(MAX_UPLOAD_MB=1)) as url:
        yield url
