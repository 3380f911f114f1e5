"""Entry point for ``huey_consumer webapp.worker.huey``: builds the app and its queue once per process."""

from __future__ import annotations

import atexit
import logging
import threading

from webapp import create_app, logs, metrics
from webapp.extensions import db
from webapp.queue import get_huey
from webapp.services import recovery, webhook_delivery
from webapp.services.workers import Heartbeat, forget, worker_identity
from webapp.tasks import first_in_period

# A consumer pings every pooled connection before use: a few transactions per job make that cheap, and a job's
# state transition must not be the request that finds the database restarted.
app = create_app({"DB_PING_AFTER_IDLE_SECONDS": 0})
huey = get_huey(app)
_heartbeat: Heartbeat | None = None
_heartbeat_lock = threading.Lock()
_create_consumer = huey.create_consumer


def _create_consumer_with_our_logs(**options):
    # huey_consumer gives the "huey" logger a plain-text handler of its own just before it creates the
    # consumer: give that handler our format (JSON lines), like every other line this process writes.
    logs.adopt(logging.getLogger("huey"))
    return _create_consumer(**options)


huey.create_consumer = _create_consumer_with_our_logs


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
        _heartbeat = Heartbeat(app, worker_identity(), app.config["WORKER_HEARTBEAT_SECONDS"], _maintenance)
        _heartbeat.start()
        atexit.register(_stop_heartbeat)
        # DOCPIPE_WORKER_METRICS_PORT: this process's metrics over HTTP, for Prometheus.
        metrics.start_worker_server(app)


def _maintenance() -> None:
    """Every consumer offers to run the recovery each beat; one of them does, once per interval."""
    if first_in_period(huey, "recover_jobs", int(app.config["RECOVERY_INTERVAL_SECONDS"])):
        recovery.recover_jobs()
    # Webhook deliveries that are due and held by nobody: lost doorbells, retries, workers killed mid-send.
    if first_in_period(huey, "resend_webhooks", int(app.config["RECOVERY_INTERVAL_SECONDS"])):
        webhook_delivery.resend_due()


def _stop_heartbeat() -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
        with app.app_context():
            try:
                forget(_heartbeat.worker_id)
            except Exception:  # noqa: BLE001 - shutting down; health will age it out
                pass
