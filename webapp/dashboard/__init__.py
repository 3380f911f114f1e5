"""The HTML dashboard: pages and htmx partials."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("dashboard", __name__)


def init_app(app: Flask) -> None:
    from webapp.dashboard import (  # noqa: F401 - routes register on bp
        admin,
        audit,
        overview,
        pipelines,
        settings,
        thumbnails,
        upload,
        views,
        webhooks,
    )

    app.register_blueprint(bp)
