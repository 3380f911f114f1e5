"""Logging set-up: one format for web and worker, level from DOCPIPE_LOG_LEVEL."""

from __future__ import annotations

import logging

from flask import Flask


def init_app(app: Flask) -> None:
    level = getattr(logging, str(app.config.get("LOG_LEVEL", "INFO")).upper(), logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    logging.getLogger("webapp").setLevel(level)
