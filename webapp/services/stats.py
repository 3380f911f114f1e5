"""Numbers about the work: throughput and outcomes over a time range (the overview page), and the live load
(queue depth, running jobs, worker heartbeats) that the overview and the metrics scrape read.

The SQL is the same on SQLite and PostgreSQL: time buckets come from a CASE over the bucket boundaries and
percentiles are computed here over a bounded sample. A range is selected through the jobs' primary key
(ids are time-ordered), so a 30-day view reads that month's rows through the index, whatever the table holds;
the live numbers use the (status, id) index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from webapp.extensions import db
from webapp.ids import id_floor
from webapp.models import Job, Pipeline, WebhookEndpoint, Worker
from webapp.models.job import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED
from webapp.pipeline.config import FieldError
from webapp.services.errors import ValidationFailed
from webapp.services.workers import liveness
from webapp.timeutil import isoformat, utcnow

# Durations are percentiles over at most this many of the range's newest succeeded jobs.
DURATION_SAMPLE = 5000
PRIORITIES = range(10)
# Heartbeats older than this are not reported per worker (a SIGKILLed consumer leaves its row behind).
WORKER_REPORT_AGE = timedelta(days=1)
MAX_WORKERS_REPORTED = 200
OUTCOMES = (SUCCEEDED, FAILED, CANCELLED, "active")


@dataclass(frozen=True, slots=True)
class Range:
    key: str
    span: timedelta
    step: timedelta
    unit: str

    @property
    def buckets(self) -> int:
        return int(self.span / self.step)


RANGES = {
    "24h": Range("24h", timedelta(hours=24), timedelta(hours=1), "hour"),
    "7d": Range("7d", timedelta(days=7), timedelta(hours=6), "6 hours"),
    "30d": Range("30d", timedelta(days=30), timedelta(days=1), "day"),
}
DEFAULT_RANGE = "24h"


def parse_range(raw: str | None) -> Range:
    key = (raw or DEFAULT_RANGE).strip()
    if key not in RANGES:
        raise ValidationFailed([FieldError("range", f"one of {', '.join(RANGES)}")])
    return RANGES[key]


def bucket_bounds(rng: Range, now: datetime) -> list[datetime]:
    """``rng.buckets + 1`` boundaries, aligned to the step in UTC; the last bucket holds ``now``."""
    step = rng.step.total_seconds()
    end = datetime.fromtimestamp((math.floor(now.timestamp() / step) + 1) * step, UTC)
    return [end - rng.step * (rng.buckets - i) for i in range(rng.buckets + 1)]


# --- the overview -----------------------------------------------------------------------------------------


def overview(range_key: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    rng = parse_range(range_key)
    now = now or utcnow()
    bounds = bucket_bounds(rng, now)
    series = throughput(bounds)
    totals = {outcome: sum(values) for outcome, values in series.items()}
    totals["created"] = sum(totals.values())
    finished = totals[SUCCEEDED] + totals[FAILED]
    load = current_load(now)
    max_age = 3 * int(current_app.config["WORKER_HEARTBEAT_SECONDS"])
    workers = liveness(max_age)
    return {
        "range": rng.key,
        "ranges": list(RANGES),
        "unit": rng.unit,
        "from": isoformat(bounds[0]),
        "to": isoformat(bounds[-1]),
        "generated_at": isoformat(now),
        "buckets": [isoformat(bound) for bound in bounds[:-1]],
        "series": series,
        "totals": totals,
        "rates": {
            "success": round(totals[SUCCEEDED] / finished, 4) if finished else None,
            "failure": round(totals[FAILED] / finished, 4) if finished else None,
        },
        "durations": durations(bounds[0]),
        "queue": {
            "depth": sum(load.queued_by_priority.values()),
            "by_priority": {str(p): n for p, n in sorted(load.queued_by_priority.items())},
            "running": load.running,
        },
        "workers": {"alive": workers["alive"], "last_heartbeat": isoformat(workers["last_heartbeat"])},
    }


def _in_range(since: datetime, until: datetime | None = None) -> list[Any]:
    conditions = [Job.id >= id_floor("job", since), Job.created_at >= since]
    if until is not None:
        conditions.append(Job.created_at < until)
    return conditions


def throughput(bounds: list[datetime]) -> dict[str, list[int]]:
    """Jobs created in each bucket, by what became of them (queued and running count as 'active')."""
    bucket = case(*[(Job.created_at < bound, index) for index, bound in enumerate(bounds[1:])], else_=-1)
    # Grouped in an outer query: PostgreSQL would not see the CASE in SELECT and GROUP BY as one expression
    # (each has its own bound parameters).
    rows = select(bucket.label("bucket"), Job.status.label("status")).where(*_in_range(bounds[0], bounds[-1]))
    inner = rows.subquery()
    counted = db.session.execute(
        select(inner.c.bucket, inner.c.status, func.count()).group_by(inner.c.bucket, inner.c.status)
    ).all()
    series = {outcome: [0] * (len(bounds) - 1) for outcome in OUTCOMES}
    for index, status, count in counted:
        if 0 <= index < len(bounds) - 1:
            series[status if status in series else "active"][index] += count
    return series


def durations(since: datetime) -> list[dict[str, Any]]:
    """p50 and p95 of claim-to-finish time per pipeline, over the range's newest succeeded jobs."""
    rows = db.session.execute(
        select(Pipeline.name, Job.started_at, Job.finished_at)
        .join(Pipeline, Pipeline.id == Job.pipeline_id)
        .where(
            *_in_range(since),
            Job.status == SUCCEEDED,
            Job.started_at.is_not(None),
            Job.finished_at.is_not(None),
        )
        .order_by(Job.id.desc())
        .limit(DURATION_SAMPLE)
    ).all()
    by_pipeline: dict[str, list[float]] = {}
    for name, started, finished in rows:
        by_pipeline.setdefault(name, []).append(max(0.0, (finished - started).total_seconds()))
    return [
        {
            "pipeline": name,
            "count": len(values),
            "p50_seconds": round(percentile(values, 50), 3),
            "p95_seconds": round(percentile(values, 95), 3),
        }
        for name, values in sorted(by_pipeline.items())
    ]


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# --- the live load ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Load:
    queued_by_priority: dict[int, int] = field(default_factory=dict)
    running: int = 0
    workers: list[tuple[str, datetime]] = field(default_factory=list)
    # None when the webhooks table does not exist (an older schema).
    webhook_endpoints_disabled: int | None = None


def current_load(now: datetime | None = None) -> Load:
    now = now or utcnow()
    load = Load(queued_by_priority=dict.fromkeys(PRIORITIES, 0))
    for priority, count in db.session.execute(
        select(Job.priority, func.count()).where(Job.status == QUEUED).group_by(Job.priority)
    ).all():
        load.queued_by_priority[int(priority)] = int(count)
    load.running = int(db.session.execute(select(func.count()).where(Job.status == RUNNING)).scalar_one())
    load.workers = [
        (worker_id, beat)
        for worker_id, beat in db.session.execute(
            select(Worker.id, Worker.last_heartbeat_at)
            .where(Worker.last_heartbeat_at >= now - WORKER_REPORT_AGE)
            .order_by(Worker.last_heartbeat_at.desc())
            .limit(MAX_WORKERS_REPORTED)
        ).all()
    ]
    load.webhook_endpoints_disabled = disabled_webhook_endpoints()
    return load


def disabled_webhook_endpoints() -> int | None:
    """Endpoints switched off (by an admin, a 410, or failing too long); None without the webhooks table."""
    try:
        return int(db.session.execute(select(func.count()).where(WebhookEndpoint.enabled.is_(False))).scalar_one())
    except (OperationalError, ProgrammingError):
        db.session.rollback()
        return None
