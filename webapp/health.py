"""/livez, /readyz and /healthz: public, cheap, and checking the real components."""

from __future__ import annotations

import logging
import shutil
import time
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from webapp.auth.policy import public
from webapp.extensions import db
from webapp.queue import queue_depth
from webapp.services.storage import get_storage
from webapp.services.workers import liveness
from webapp.timeutil import isoformat

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def _timed(check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        details = check()
        status = details.pop("status", "ok")
    except Exception as exc:  # noqa: BLE001 - any failure of a component is reported, not raised
        details, status = {"error": f"{type(exc).__name__}: {exc}"[:300]}, "error"
    return {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 1), **details}


def _database() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
        return {"backend": db.engine.dialect.name}
    finally:
        db.session.rollback()


def _workers() -> dict[str, Any]:
    max_age = 3 * int(current_app.config["WORKER_HEARTBEAT_SECONDS"])
    info = liveness(max_age)
    db.session.rollback()
    return {
        "status": "ok" if info["alive"] else "warn",
        "alive": info["alive"],
        "last_heartbeat": isoformat(info["last_heartbeat"]),
    }


# The data dir's disk (SQLite database, SqliteHuey queue, local files, metrics): "warn" below either.
DISK_WARN_FREE_RATIO = 0.05
DISK_WARN_FREE_BYTES = 512 * 1024 * 1024


def _disk() -> dict[str, Any]:
    usage = shutil.disk_usage(current_app.config["DATA_DIR"])
    ratio = usage.free / usage.total if usage.total else 0.0
    low = ratio < DISK_WARN_FREE_RATIO or usage.free < DISK_WARN_FREE_BYTES
    return {
        "status": "warn" if low else "ok",
        "free_bytes": usage.free,
        "total_bytes": usage.total,
        "free_ratio": round(ratio, 4),
    }


# /healthz is public: it shows how components are doing, never where they live (S3 endpoint, bucket, prefix) or
# what an error message says (it can name hosts and users). The full reason goes to the log.
PUBLIC_KEYS = frozenset(
    {"status", "latency_ms", "backend", "depth", "alive", "last_heartbeat", "free_bytes", "total_bytes", "free_ratio"}
)


def public_view(name: str, check: dict[str, Any]) -> dict[str, Any]:
    shown = {key: value for key, value in check.items() if key in PUBLIC_KEYS}
    if "error" in check:
        shown["error"] = check["error"].split(":", 1)[0]
        log.warning("health check of %s failed: %s", name, check["error"])
    return shown


def components() -> dict[str, dict[str, Any]]:
    return {
        "database": _timed(_database),
        "queue": _timed(queue_depth),
        "storage": _timed(lambda: get_storage().check()),
        "workers": _timed(_workers),
        "disk": _timed(_disk),
    }


@bp.get("/livez")
@public
def livez():
    return jsonify({"status": "ok"})


# What must answer for this process to take requests. Workers are not required: uploads wait in the queue.
REQUIRED = ("database", "queue", "storage")


@bp.get("/readyz")
@public
def readyz():
    checks = components()
    failing = [name for name in REQUIRED if checks[name]["status"] != "ok"]
    body: dict[str, Any] = {
        "status": "error" if failing else "ok",
        "components": {k: {"status": v["status"]} for k, v in checks.items()},
    }
    if failing:
        body["failing"] = failing
        log.warning("not ready: %s", ", ".join(f"{name} ({checks[name].get('error', 'error')})" for name in failing))
    return jsonify(body), 503 if failing else 200


@bp.get("/healthz")
@public
def healthz():
    checks = components()
    statuses = {check["status"] for check in checks.values()}
    overall = "error" if "error" in statuses else "warn" if "warn" in statuses else "ok"
    from webapp import __version__

    shown = {name: public_view(name, check) for name, check in checks.items()}
    return jsonify({"status": overall, "version": __version__, "components": shown}), 200 if overall != "error" else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
