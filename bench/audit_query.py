"""Audit log queries over a million events: the API's filters, timed on SQLite and PostgreSQL.

    .venv/bin/python bench/audit_query.py [--events N] [--postgres URL]

Events are generated with a valid hash chain (about 40 actions, 200 actors, 50,000 resources over a year)
and inserted in bulk; then each query the API runs is timed (median of 5) through the same service code.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import AuditEvent  # noqa: E402
from webapp.services import audit, audit_log  # noqa: E402
from webapp.timeutil import isoformat, utcnow  # noqa: E402

ACTIONS = [
    f"{kind}.{verb}"
    for kind in ("job", "pipeline", "user", "api_key", "auth", "webhook")
    for verb in ("created", "updated", "deleted", "started", "succeeded", "failed", "denied")
]


def generate(count: int, batch: int = 20_000):
    rng = random.Random(42)
    start = utcnow() - timedelta(days=365)
    step = timedelta(days=365) / count
    previous = audit.GENESIS
    rows = []
    for number in range(count):
        actor = rng.randrange(200)
        action = rng.choice(ACTIONS)
        row = {
            "at": start + step * number,
            "actor_type": "user",
            "actor_id": f"usr_{actor:04d}",
            "actor_name": f"user{actor}@example.com",
            "action": action,
            "resource_type": action.split(".")[0],
            "resource_id": f"res_{rng.randrange(50_000):05d}",
            "ip": "198.51.100.7",
            "request_id": f"{number:032x}",
            "outcome": "success",
            "details": {"n": number},
            "prev_hash": previous,
        }
        payload = {
            "at": isoformat(row["at"]),
            "actor": [row["actor_type"], row["actor_id"], row["actor_name"]],
            "action": action,
            "resource": [row["resource_type"], row["resource_id"]],
            "ip": row["ip"],
            "request_id": row["request_id"],
            "outcome": "success",
            "details": row["details"],
            "prev": previous,
        }
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        row["hash"] = previous = hashlib.sha256(canonical.encode()).hexdigest()
        rows.append(row)
        if len(rows) == batch:
            yield rows
            rows = []
    if rows:
        yield rows


def timed(function, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(samples)


def run(url: str | None, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="docpipe-audit-bench-") as tmp:
        app = create_app({"DATA_DIR": tmp, "SECRET_KEY": "x" * 40, "DATABASE_URL": url})
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
            upgrade(directory=str(REPO / "migrations"))
            started = time.perf_counter()
            for rows in generate(count):
                db.session.execute(AuditEvent.__table__.insert(), rows)
                db.session.commit()
            load = time.perf_counter() - started
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("ANALYZE audit_events"))
            f = audit_log.parse_filters
            page = 50
            results = {"load_s": load}
            queries = {
                "newest page": {},
                "action prefix 'job.'": {"action": "job."},
                "exact action": {"action": "user.deleted"},
                "one actor": {"actor": "usr_0042"},
                "one resource": {"resource_type": "job", "resource_id": "res_01234"},
                "actor + last 30 days": {"actor": "usr_0042", "since": isoformat(utcnow() - timedelta(days=30))},
                "one day": {
                    "since": isoformat(utcnow() - timedelta(days=100)),
                    "until": isoformat(utcnow() - timedelta(days=99)),
                },
            }
            for name, args in queries.items():
                results[name] = timed(lambda args=args: audit_log.list_events(f(args), page, None))
            _, cursor = audit_log.list_events(f({"action": "job."}), page, None)
            results["2nd page (cursor)"] = timed(lambda: audit_log.list_events(f({"action": "job."}), page, cursor))
            results["verify whole chain (s)"] = timed(lambda: audit_log.verify(), repeat=1) / 1000
            db.engine.dispose()
            return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "audit.json")
    args = parser.parse_args()
    report = {"sqlite": run(None, args.events)}
    try:
        report["postgresql"] = run(args.postgres, args.events)
    except Exception as exc:  # noqa: BLE001 - a machine without PostgreSQL still gets the SQLite figures
        print(f"PostgreSQL skipped: {exc}")
    print(f"Audit queries over {args.events:,} events (page of 50, median of 5 runs, ms)")
    backends = list(report)
    print(f"  {'query':28}" + "".join(f"{name:>14}" for name in backends))
    for key in report["sqlite"]:
        print(f"  {key:28}" + "".join(f"{report[name][key]:>14.1f}" for name in backends))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
