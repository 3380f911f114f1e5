"""Logging set-up: one format for web and worker, level from DOCPIPE_LOG_LEVEL."""

from __future__ import annotations

import logging

from flask import Flask


def init_app(app: Flask) -> None:
    level = getattr(logging, str(app.config.get("LOG_LEVEL", "INFO")).upper(), logging.INFO)
    # Our own logger gets its own handler: gunicorn and huey_consumer configure theirs, and a root
    # handler would print each of their lines twice.
    logger = logging.getLogger("webapp")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
