"""The overview page: throughput, outcomes, durations, the queue and the workers, charted in the browser.

The page carries its numbers in a JSON data island that static/js/overview.js draws with the vendored
Chart.js; /overview/data.json serves the same object for the time range asked.
"""

from __future__ import annotations

from flask import jsonify, render_template, request

from webapp.auth.policy import require_permission
from webapp.dashboard import bp
from webapp.services import stats
from webapp.services.errors import ValidationFailed

RANGE_LABELS = {"24h": "24 hours", "7d": "7 days", "30d": "30 days"}


@bp.get("/overview")
@require_permission("jobs:read")
def overview():
    data = stats.overview(request.args.get("range"))
    return render_template("dashboard/overview.html", data=data, range_labels=RANGE_LABELS)


@bp.get("/overview/data.json")
@require_permission("jobs:read")
def overview_data():
    try:
        return jsonify(stats.overview(request.args.get("range")))
    except ValidationFailed as exc:
        return jsonify({"error": exc.detail, "ranges": list(stats.RANGES)}), 422
