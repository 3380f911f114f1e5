"""gunicorn settings for Docpipe (``gunicorn -c gunicorn.conf.py wsgi:app``). Every value can be overridden by
the environment variable named beside it."""

import multiprocessing
import os

bind = os.environ.get("DOCPIPE_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Requests are short (uploads stream to the blob store; parsing happens in the workers): threads suffice.
workers = int(os.environ.get("DOCPIPE_WEB_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("DOCPIPE_WEB_THREADS", "4"))
worker_class = "gthread"
# Uploads up to DOCPIPE_MAX_UPLOAD_MB over slow links need time; a stuck request is still cut off.
timeout = int(os.environ.get("DOCPIPE_WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
# Behind a TLS-terminating proxy, trust its X-Forwarded-* headers only from these addresses.
forwarded_allow_ips = os.environ.get("DOCPIPE_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Error and access lines as JSON (or DOCPIPE_LOG_FORMAT=console), like the app's own; access lines carry the
# request id.
logger_class = "webapp.gunicorn_logging.JsonLogger"


def child_exit(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """With PROMETHEUS_MULTIPROC_DIR, forget a dead worker's live gauges (its counters still count)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
