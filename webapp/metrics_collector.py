"""Metrics read at scrape time: from the database (the source of truth for the queue and the workers) and
the build. Nothing here is counted in a process, so every scrape of any web process agrees."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from webapp.extensions import db
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)


class BuildInfoCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        from webapp import __version__

        info = GaugeMetricFamily("docpipe_build_info", "Docpipe's version; always 1.", labels=["version"])
        info.add_metric([__version__], 1)
        yield info


class DatabaseCollector(Collector):
    """Queue depth by priority, running jobs, live workers, each worker's last heartbeat and disabled webhook
    endpoints, queried when Prometheus scrapes. docpipe_database_up says whether the queries answered."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterable[Metric]:
        # Everything is read before anything is yielded: the app context must not stay open across yields.
        return self._families()

    def _families(self) -> list[Metric]:
        from webapp.services import stats

        up = GaugeMetricFamily("docpipe_database_up", "1 when the scrape-time database queries answered.")
        with self.app.app_context():
            try:
                load = stats.current_load()
                max_age = 3 * int(self.app.config["WORKER_HEARTBEAT_SECONDS"])
            except Exception as exc:  # noqa: BLE001 - a scrape reports the failure instead of failing
                log.warning("metrics: the database did not answer: %s", type(exc).__name__)
                up.add_metric([], 0)
                return [up]
            finally:
                db.session.remove()
        up.add_metric([], 1)
        return [up, *self._load_families(load, max_age)]

    @staticmethod
    def _load_families(load, max_age: int) -> list[Metric]:
        depth = GaugeMetricFamily(
            "docpipe_queue_depth",
            "Jobs waiting to be picked up (queued in the database), by priority.",
            labels=["priority"],
        )
        for priority, count in sorted(load.queued_by_priority.items()):
            depth.add_metric([str(priority)], count)
        running = GaugeMetricFamily("docpipe_jobs_running", "Jobs a worker is running now.")
        running.add_metric([], load.running)
        heartbeat = GaugeMetricFamily(
            "docpipe_worker_last_heartbeat_timestamp_seconds",
            "When each consumer process last beat (Unix time); workers silent for a day are left out.",
            labels=["worker"],
        )
        for worker_id, beat in load.workers:
            heartbeat.add_metric([worker_id], beat.timestamp())
        families: list[Metric] = [depth, running, heartbeat]
        workers = GaugeMetricFamily(
            "docpipe_workers_alive", f"Consumers whose heartbeat is at most {max_age} s old at scrape time."
        )
        workers.add_metric([], _alive(load.workers, max_age))
        families.append(workers)
        if load.webhook_endpoints_disabled is not None:
            disabled = GaugeMetricFamily(
                "docpipe_webhook_endpoints_disabled", "Webhook endpoints switched off (by an admin, a 410 or failures)."
            )
            disabled.add_metric([], load.webhook_endpoints_disabled)
            families.append(disabled)
        return families


def _alive(workers, max_age: int) -> int:
    now = utcnow()
    return sum(1 for _, beat in workers if (now - beat).total_seconds() <= max_age)
