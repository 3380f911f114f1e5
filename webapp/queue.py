"""The queue: SqliteHuey in the data dir by default, PriorityRedisHuey when DOCPIPE_REDIS_URL is set.

The Huey instance is built on first use, not when the app is created, so creating the app touches no
queue. Messages carry a job id only; the database says what to do with it.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask, current_app
from huey import Huey, PriorityRedisHuey, SqliteHuey
from huey.storage import SqliteStorage

log = logging.getLogger(__name__)
_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.extensions["docpipe.huey"] = None


def get_huey(app: Flask | None = None) -> Huey:
    app = app or current_app._get_current_object()
    huey = app.extensions.get("docpipe.huey")
    if huey is not None:
        return huey
    with _lock:
        huey = app.extensions.get("docpipe.huey")
        if huey is None:
            huey = _build(app)
            from webapp import tasks

            app.extensions["docpipe.tasks"] = tasks.register(huey, app)
            app.extensions["docpipe.huey"] = huey
    return huey


class WatchingSqliteStorage(SqliteStorage):
    """SqliteHuey's storage with a dequeue that waits for work, like Redis's blocking pop.

    Huey polls a non-blocking queue and backs off to --max-delay between empty polls, so an idle consumer
    picked a new job up after up to 250 ms. This dequeue instead watches the queue file and its write-ahead
    log: every enqueue (from any process) changes them, and an unchanged file is checked with a stat() rather
    than a query, so waiting costs almost nothing. It asks the queue again at once when they change, at least
    every RECHECK_SECONDS anyway, and returns None after ``read_timeout`` so the consumer can see a stop.
    """

    blocking = True
    WATCH_SECONDS = 0.005
    RECHECK_SECONDS = 0.25
    SETTLE_SECONDS = 0.05

    def __init__(self, *args, read_timeout: float = 1.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout
        self._watched = (self.filename, f"{self.filename}-wal")

    def _signature(self) -> tuple:
        signature = []
        for path in self._watched:
            try:
                stat = os.stat(path)
                signature.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
            except OSError:
                signature.append(None)
        return tuple(signature)

    def dequeue(self):
        deadline = time.monotonic() + self.read_timeout
        # After a change, the queue is asked with real queries for a moment: the log can be written before
        # the commit is visible to readers (its index lives in shared memory, which no stat() sees).
        asking_until = 0.0
        while True:
            seen = self._signature()
            data = super().dequeue()
            if data is not None:
                return data
            now = time.monotonic()
            if now >= deadline:
                return None
            if now < asking_until:
                time.sleep(self.WATCH_SECONDS)
                continue
            recheck = min(deadline, now + self.RECHECK_SECONDS)
            while self._signature() == seen and time.monotonic() < recheck:
                time.sleep(self.WATCH_SECONDS)
            asking_until = time.monotonic() + self.SETTLE_SECONDS


class WatchingSqliteHuey(SqliteHuey):
    storage_class = WatchingSqliteStorage


def _build(app: Flask) -> Huey:
    immediate = bool(app.config.get("QUEUE_IMMEDIATE"))
    redis_url = app.config.get("REDIS_URL")
    # results=False: tasks report to the database; stored return values would pile up in the queue's storage.
    if redis_url:
        return PriorityRedisHuey("docpipe", url=redis_url, immediate=immediate, utc=True, results=False)
    return WatchingSqliteHuey(
        "docpipe", filename=app.config["QUEUE_FILE"], immediate=immediate, utc=True, timeout=30, results=False
    )


def enqueue_job(job_id: str, priority: int) -> bool:
    """Send the doorbell for a committed job. A failure is logged, not raised: the job is safe in the
    database and the periodic recovery sends it again."""
    get_huey()
    try:
        current_app.extensions["docpipe.tasks"].process_job(job_id, priority=priority)
    except Exception:
        log.warning("could not enqueue job %s; recovery will resend it", job_id, exc_info=True)
        return False
    return True


def enqueue_webhook(delivery_id: str, delay: float | None = None) -> bool:
    """Ring the doorbell for a committed webhook delivery, now or after ``delay`` seconds. Like jobs, a
    failure is logged, not raised: the delivery is pending in the database and resend_due finds it."""
    get_huey()
    task = current_app.extensions["docpipe.tasks"].deliver_webhook
    try:
        if delay:
            task.schedule((delivery_id,), delay=delay)
        else:
            task(delivery_id)
    except Exception:
        log.warning("could not enqueue webhook delivery %s; it is sent again later", delivery_id, exc_info=True)
        return False
    return True


def queue_depth() -> dict:
    huey = get_huey()
    return {"depth": huey.pending_count(), "backend": "redis" if isinstance(huey, PriorityRedisHuey) else "sqlite"}
