"""The embedded queue's consumer side: a dequeue that waits for work instead of huey's back-off polling."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from webapp.queue import WatchingSqliteHuey


def _pair(tmp_path: Path) -> tuple[WatchingSqliteHuey, WatchingSqliteHuey]:
    """The web's and the consumer's Huey: two instances (two connections) on one queue file."""
    filename = str(tmp_path / "queue.db")
    return (
        WatchingSqliteHuey("docpipe", filename=filename, utc=True, results=False),
        WatchingSqliteHuey("docpipe", filename=filename, utc=True, results=False),
    )


def test_a_waiting_consumer_gets_a_message_as_soon_as_it_is_enqueued(tmp_path: Path) -> None:
    """GIVEN a consumer waiting on an empty queue (up to 5 s) WHEN another connection enqueues a task
    THEN the consumer has it long before its wait or huey's polling interval would have ended."""
    web, consumer = _pair(tmp_path)
    consumer.storage.read_timeout = 5.0
    got: list[tuple[float, object]] = []
    waiter = threading.Thread(target=lambda: got.append((time.monotonic(), consumer.storage.dequeue())))
    waiter.start()
    time.sleep(0.3)
    sent = time.monotonic()
    web.storage.enqueue(b"ping")
    waiter.join(10)
    ((received, message),) = got
    assert bytes(message) == b"ping"
    assert received - sent < 0.2


def test_an_empty_queue_returns_nothing_after_the_read_timeout(tmp_path: Path) -> None:
    """So the consumer's worker thread sees a stop request within the timeout."""
    _, consumer = _pair(tmp_path)
    consumer.storage.read_timeout = 0.3
    started = time.monotonic()
    assert consumer.storage.dequeue() is None
    assert 0.3 <= time.monotonic() - started < 1.5
    assert consumer.storage.blocking
