"""/livez, /readyz and /healthz: public, cheap, and checking the real components."""

from __future__ import annotations

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


def components() -> dict[str, dict[str, Any]]:
    return {
        "database": _timed(_database),
        "queue": _timed(queue_depth),
        "storage": _timed(lambda: get_storage().check()),
        "workers": _timed(_workers),
    }


@bp.get("/livez")
@public
def livez():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@public
def readyz():
    checks = components()
    # Workers are not required to serve requests: uploads wait in the queue for them.
    ready = all(checks[name]["status"] == "ok" for name in ("database", "queue", "storage"))
    body = {"status": "ok" if ready else "error", "components": {k: {"status": v["status"]} for k, v in checks.items()}}
    return jsonify(body), 200 if ready else 503


@bp.get("/healthz")
@public
def healthz():
    checks = components()
    statuses = {check["status"] for check in checks.values()}
    overall = "error" if "error" in statuses else "warn" if "warn" in statuses else "ok"
    from webapp import __version__

    return jsonify(
        {"status": overall, "version": __version__, "components": checks}
    ), 200 if overall != "error" else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
