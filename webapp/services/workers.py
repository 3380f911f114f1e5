"""Worker heartbeats: each consumer process records that it is alive."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import delete, func, select, update

from webapp.extensions import db
from webapp.models import Worker
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(worker_id: str) -> None:
    now = utcnow()
    changed = db.session.execute(update(Worker).where(Worker.id == worker_id).values(last_heartbeat_at=now)).rowcount
    if not changed:
        host, _, pid = worker_id.rpartition(":")
        db.session.add(Worker(id=worker_id, hostname=host, pid=int(pid), started_at=now, last_heartbeat_at=now))
    db.session.commit()


def forget(worker_id: str) -> None:
    db.session.execute(delete(Worker).where(Worker.id == worker_id))
    db.session.commit()


def liveness(max_age_seconds: int) -> dict:
    cutoff = utcnow() - timedelta(seconds=max_age_seconds)
    alive, last = db.session.execute(
        select(
            func.count().filter(Worker.last_heartbeat_at >= cutoff),
            func.max(Worker.last_heartbeat_at),
        )
    ).one()
    return {"alive": int(alive or 0), "last_heartbeat": last}


class Heartbeat:
    """A daemon thread that beats every ``interval`` seconds for this process, then runs ``on_beat``
    (the periodic maintenance) in the same app context."""

    def __init__(self, app: Flask, worker_id: str, interval: float, on_beat: Callable[[], None] | None = None) -> None:
        self.app = app
        self.worker_id = worker_id
        self.interval = interval
        self.on_beat = on_beat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._beat()

    def _beat(self) -> None:
        with self.app.app_context():
            try:
                beat(self.worker_id)
                if self.on_beat is not None:
                    self.on_beat()
            except Exception:
                log.warning("heartbeat or maintenance failed", exc_info=True)
                db.session.rollback()
            finally:
                db.session.remove()
