"""Structured logs: one JSON object per line (or a readable console format) from the web, the workers and gunicorn.

Our modules log with the standard library (``logging.getLogger(__name__)``); every record, ours and the
libraries', goes through structlog's ProcessorFormatter on one root handler. Values bound with ``bind`` or
``bound`` travel with every line logged in the same context: the request id during a request, the job id,
pipeline and stage while a worker runs a job. Never bind or log secrets or document content.

DOCPIPE_LOG_FORMAT=json|console; unset → json in production or when stderr is not a terminal, else console.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, get_contextvars, reset_contextvars, unbind_contextvars

FORMATS = ("json", "console")
# What a worker binds for the job it runs; cleared when the job is done.
JOB_KEYS = ("job_id", "pipeline", "stage")
# Structured fields other code may pass with ``extra=`` (gunicorn's access log does); anything else is dropped.
EXTRA_FIELDS = (
    "method",
    "path",
    "status",
    "bytes",
    "duration_ms",
    "remote_addr",
    "user_agent",
    "protocol",
    "request_id",
)


def log_format(configured: str | None = None) -> str:
    value = (configured or os.environ.get("DOCPIPE_LOG_FORMAT") or "").strip().lower()
    if value in FORMATS:
        return value
    if value:
        raise ValueError(f"DOCPIPE_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {value!r}")
    if os.environ.get("DOCPIPE_ENV") == "production" or not sys.stderr.isatty():
        return "json"
    return "console"


def _add_pid(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    event.setdefault("pid", os.getpid())
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _add_pid,
    ]


def formatter(fmt: str) -> structlog.stdlib.ProcessorFormatter:
    """A logging.Formatter rendering any record (structlog's or the standard library's) as ``fmt``."""
    if fmt == "json":
        final: list[Any] = [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(default=str, ensure_ascii=False),
        ]
    else:
        final = [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), structlog.stdlib.ExtraAdder(allow=EXTRA_FIELDS)],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    docpipe = True

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(level: str = "INFO", fmt: str | None = None) -> str:
    """Set up structlog and one root handler (idempotent). Returns the format in use."""
    fmt = log_format(fmt)
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "docpipe", False)), None)
    if handler is None:
        handler = _StderrHandler()
        root.addHandler(handler)
    handler.setFormatter(formatter(fmt))
    logger = logging.getLogger("webapp")
    logger.setLevel(getattr(logging, str(level).upper(), logging.INFO))
    # Our records reach the root handler; a handler of our own would print them twice.
    logger.propagate = True
    return fmt


def adopt(logger: logging.Logger) -> None:
    """Give a library's own handlers (huey_consumer's) our format, and keep its records off the root handler."""
    fmt = formatter(log_format())
    for handler in logger.handlers:
        handler.setFormatter(fmt)
    if logger.handlers:
        logger.propagate = False


def init_app(app) -> None:
    app.config["LOG_FORMAT"] = configure(app.config.get("LOG_LEVEL", "INFO"), app.config.get("LOG_FORMAT"))


def bind(**values: Any) -> dict[str, Any]:
    """Add values to every line logged from here on in this context; returns tokens for ``unbind``."""
    return bind_contextvars(**values)


def unbind(tokens: dict[str, Any]) -> None:
    try:
        reset_contextvars(**tokens)
    except ValueError:
        # A token from another context (never expected): forget the keys instead.
        unbind_contextvars(*tokens)


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    tokens = bind(**values)
    try:
        yield
    finally:
        unbind(tokens)


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Log lines inside carry ``job_id`` (and the pipeline and stage bound later); restored on exit."""
    saved = {key: value for key, value in get_contextvars().items() if key in JOB_KEYS}
    unbind_contextvars(*JOB_KEYS)
    bind_contextvars(job_id=job_id)
    try:
        yield
    finally:
        unbind_contextvars(*JOB_KEYS)
        if saved:
            bind_contextvars(**saved)
