"""The audit log (admin): query with filters and cursors, export as CSV or JSON lines, the chain's head."""

from __future__ import annotations

import csv
import io
import json

from flask import Response, jsonify, request, stream_with_context

from webapp.api import bp
from webapp.api.pagination import page_limit, paginated
from webapp.auth.policy import require_permission
from webapp.pipeline.config import FieldError
from webapp.services import audit, audit_log
from webapp.services.errors import ValidationFailed

CSV_COLUMNS = [
    "id",
    "at",
    "actor_type",
    "actor_id",
    "actor_name",
    "action",
    "resource_type",
    "resource_id",
    "ip",
    "request_id",
    "outcome",
    "details",
    "hash",
]


@bp.get("/audit")
@require_permission("audit:read")
def list_audit():
    filters = audit_log.parse_filters(request.args)
    fmt = request.args.get("format", "json")
    if fmt == "csv":
        return _export(filters, "text/csv", "audit.csv", _csv_lines)
    if fmt == "jsonl":
        return _export(filters, "application/x-ndjson", "audit.jsonl", _jsonl_lines)
    if fmt != "json":
        raise ValidationFailed([FieldError("format", "must be json, csv or jsonl")])
    events, next_cursor = audit_log.list_events(filters, page_limit(), request.args.get("cursor"))
    return paginated([audit.event_to_dict(event) for event in events], next_cursor)


@bp.get("/audit/head")
@require_permission("audit:read")
def audit_head():
    return jsonify(audit_log.head())


def _export(filters, mimetype: str, filename: str, lines) -> Response:
    response = Response(stream_with_context(lines(filters)), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _jsonl_lines(filters):
    for event in audit_log.iter_events(filters):
        yield json.dumps(audit.event_to_dict(event), ensure_ascii=False) + "\n"


def _csv_lines(filters):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for event in audit_log.iter_events(filters):
        row = audit.event_to_dict(event)
        actor = row.pop("actor")
        row.update(actor_type=actor["type"], actor_id=actor["id"], actor_name=actor["name"])
        row["details"] = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
        writer.writerow([row[column] for column in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
