"""Prometheus metrics: what the web and the workers count, and ``/metrics``.

Services call the small functions here (``job_created``, ``job_finished``, ``stage_finished``,
``webhook_delivery``) and never touch prometheus_client themselves. What the database knows (queue depth,
running jobs, worker heartbeats, disabled webhook endpoints) is read at scrape time by the collector in
metrics_collector.py: the database is the source of truth, so those numbers are right whichever process
is scraped.

Several processes: gunicorn's workers and the consumers write their counters to PROMETHEUS_MULTIPROC_DIR
(set it before start; scripts/run.sh does) and the web's ``/metrics`` adds up every process that shares the
folder. A consumer also serves its own process's metrics on DOCPIPE_WORKER_METRICS_PORT when that is set.

Labels are bounded: pipeline names, stage names, statuses and URL rules (``/api/v1/jobs/<job_id>``), never
a job id or a raw path.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, make_wsgi_app
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from prometheus_flask_exporter import PrometheusMetrics

from webapp.auth.policy import public

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

JOB_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
WEBHOOK_OUTCOMES = {"succeeded": "succeeded", "failed": "failed", "pending": "retrying", "retrying": "retrying"}

JOBS = Counter(
    "docpipe_jobs_total",
    "Jobs by pipeline and status: 'created' at submission, then 'succeeded', 'failed' or 'cancelled' at the end.",
    ["pipeline", "status"],
)
JOB_DURATION = Histogram(
    "docpipe_job_duration_seconds",
    "From a worker's claim of a job to its final state, for jobs that succeeded or failed.",
    ["pipeline", "status"],
    buckets=JOB_BUCKETS,
)
STAGE_DURATION = Histogram(
    "docpipe_stage_duration_seconds",
    "Time spent in each pipeline stage (succeeded or failed).",
    ["stage"],
    buckets=STAGE_BUCKETS,
)
DOCUMENT_BYTES = Counter(
    "docpipe_documents_bytes_total", "Bytes of the documents submitted, by pipeline.", ["pipeline"]
)
WEBHOOK_DELIVERIES = Counter(
    "docpipe_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: succeeded, retrying (failed, will be tried again) or failed (given up).",
    ["outcome"],
)


# --- what services call ---------------------------------------------------------------------------------


def job_created(pipeline: str, size_bytes: int) -> None:
    JOBS.labels(pipeline=pipeline, status="created").inc()
    DOCUMENT_BYTES.labels(pipeline=pipeline).inc(max(0, size_bytes))


def job_finished(pipeline: str, status: str, seconds: float | None = None) -> None:
    """A job reached a final state (succeeded, failed, cancelled); ``seconds`` from its claim, if it ran."""
    JOBS.labels(pipeline=pipeline, status=status).inc()
    if seconds is not None:
        JOB_DURATION.labels(pipeline=pipeline, status=status).observe(max(0.0, seconds))


def stage_finished(stage: str, seconds: float) -> None:
    STAGE_DURATION.labels(stage=stage).observe(max(0.0, seconds))


def webhook_delivery(outcome: str) -> None:
    """One delivery attempt's outcome: a delivery status (succeeded, pending → retrying, failed)."""
    WEBHOOK_DELIVERIES.labels(outcome=WEBHOOK_OUTCOMES.get(outcome, "other")).inc()


# --- who may scrape ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Access:
    """DOCPIPE_METRICS_TOKEN (a Bearer token) and DOCPIPE_METRICS_ALLOW (CIDRs): either lets a scraper in;
    with neither set, metrics are public."""

    token: str | None = None
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_config(cls, config) -> Access:
        networks = []
        for item in str(config.get("METRICS_ALLOW") or "").split(","):
            if item.strip():
                try:
                    networks.append(ipaddress.ip_network(item.strip(), strict=False))
                except ValueError:
                    raise ValueError(f"DOCPIPE_METRICS_ALLOW: {item.strip()!r} is not an address or CIDR") from None
        return cls(token=config.get("METRICS_TOKEN") or None, networks=tuple(networks))

    def allows(self, authorization: str | None, remote_addr: str | None) -> bool:
        if self.token is None and not self.networks:
            return True
        if self.token is not None:
            scheme, _, value = (authorization or "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode()):
                return True
        return self._address_allowed(remote_addr)

    def _address_allowed(self, remote_addr: str | None) -> bool:
        if not self.networks or not remote_addr:
            return False
        try:
            address = ipaddress.ip_address(remote_addr)
        except ValueError:
            return False
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


# --- registries -------------------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _Forward(Collector):
    """Another registry's metrics, collected into a scrape's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable:
        return self.registry.collect()


def web_registry(app: Flask) -> CollectorRegistry:
    """What the web's /metrics shows: every process sharing the multiprocess folder (or this process's
    registries without one), the build info and the database's numbers."""
    from webapp.metrics_collector import BuildInfoCollector, DatabaseCollector

    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
        registry.register(_Forward(app.extensions["docpipe.http_metrics"].registry))
    registry.register(BuildInfoCollector())
    registry.register(DatabaseCollector(app))
    return registry


def worker_registry() -> CollectorRegistry:
    """A consumer's own process: its counters, histograms and process metrics, and the build info."""
    from webapp.metrics_collector import BuildInfoCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Forward(REGISTRY))
    registry.register(BuildInfoCollector())
    return registry


# --- the web's /metrics -----------------------------------------------------------------------------------


@bp.get("/metrics")
@public  # reachable without an identity; DOCPIPE_METRICS_TOKEN / DOCPIPE_METRICS_ALLOW are enforced here
def metrics_endpoint():
    access: Access = current_app.extensions["docpipe.metrics_access"]
    if not access.allows(request.headers.get("Authorization"), request.remote_addr):
        return Response("forbidden: metrics are restricted\n", status=403, mimetype="text/plain")
    body = generate_latest(web_registry(current_app._get_current_object()))
    return Response(body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    app.extensions["docpipe.metrics_access"] = Access.from_config(app.config)
    folder = multiprocess_dir()
    if folder:
        os.makedirs(folder, exist_ok=True)
    # HTTP metrics by URL rule (bounded), in a registry of the app's own: the exporter creates its metrics
    # once per registry, and tests build many apps in one process.
    app.extensions["docpipe.http_metrics"] = PrometheusMetrics(
        app,
        path=None,
        registry=CollectorRegistry(auto_describe=True),
        group_by="url_rule",
        defaults_prefix="docpipe",
    )
    app.register_blueprint(bp)


# --- a consumer's own metrics server ----------------------------------------------------------------------


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


def _guarded(app: Callable, access: Access) -> Callable:
    def guarded(environ, start_response):
        if not access.allows(environ.get("HTTP_AUTHORIZATION"), environ.get("REMOTE_ADDR")):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"forbidden: metrics are restricted\n"]
        return app(environ, start_response)

    return guarded


def start_worker_server(app: Flask) -> WSGIServer | None:
    """Serve this consumer's metrics on DOCPIPE_WORKER_METRICS_PORT (if set), with the web's access rules."""
    port = int(app.config.get("WORKER_METRICS_PORT") or 0)
    if not port:
        return None
    address = app.config.get("WORKER_METRICS_ADDR") or "0.0.0.0"
    wsgi = _guarded(make_wsgi_app(worker_registry()), Access.from_config(app.config))
    try:
        server = make_server(address, port, wsgi, _ThreadingServer, handler_class=_QuietHandler)
    except OSError as exc:
        log.warning("worker metrics not served: cannot listen on %s:%s (%s)", address, port, exc)
        return None
    threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True).start()
    log.info("worker metrics served on http://%s:%s/metrics", address, port)
    return server
