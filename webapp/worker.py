"""Entry point for ``huey_consumer webapp.worker.huey``: builds the app and its queue once per process."""

from __future__ import annotations

import atexit
import threading

from webapp import create_app
from webapp.extensions import db
from webapp.queue import get_huey
from webapp.services.workers import Heartbeat, forget, worker_identity

app = create_app()
huey = get_huey(app)
_heartbeat: Heartbeat | None = None
_heartbeat_lock = threading.Lock()


@huey.on_startup()
def _start_heartbeat() -> None:
    # Runs in every worker thread; one heartbeat per process is enough.
    global _heartbeat
    with _heartbeat_lock:
        if _heartbeat is not None:
            return
        with app.app_context():
            # Connections inherited from a parent process must not be shared.
            db.engine.dispose(close=False)
        _heartbeat = Heartbeat(app, worker_identity(), app.config["WORKER_HEARTBEAT_SECONDS"])
        _heartbeat.start()
        atexit.register(_stop_heartbeat)


def _stop_heartbeat() -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
        with app.app_context():
            try:
                forget(_heartbeat.worker_id)
            except Exception:  # noqa: BLE001 - shutting down; health will age it out
                pass
