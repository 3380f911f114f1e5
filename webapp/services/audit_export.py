"""Audit log exports as CSV or JSON lines, shared by the API (bearer tokens) and the dashboard (session).

Each export is a generator of text chunks over ``audit_log.iter_events``, so an export of any size streams in
bounded memory; ``response`` wraps one in a download.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import Response, current_app

from webapp.services import audit, audit_log
from webapp.services.audit_log import AuditFilters

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


def jsonl_lines(filters: AuditFilters) -> Iterator[str]:
    for event in audit_log.iter_events(filters):
        yield json.dumps(audit.event_to_dict(event), ensure_ascii=False) + "\n"


def csv_lines(filters: AuditFilters) -> Iterator[str]:
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


@dataclass(frozen=True, slots=True)
class ExportFormat:
    mimetype: str
    filename: str
    lines: Callable[[AuditFilters], Iterator[str]]


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("text/csv", "audit.csv", csv_lines),
    "jsonl": ExportFormat("application/x-ndjson", "audit.jsonl", jsonl_lines),
}


def response(fmt: str, filters: AuditFilters) -> Response:
    """The events ``filters`` select, newest first, as a streamed attachment in format ``fmt`` (a FORMATS key)."""
    export = FORMATS[fmt]
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def stream() -> Iterator[str]:
        # Its own app context for the database, entered when the body is read and left when it ends or is
        # closed: unlike stream_with_context, nothing of the request stays pushed while the body waits.
        with app.app_context():
            yield from export.lines(filters)

    streamed = Response(stream(), mimetype=export.mimetype)
    streamed.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return streamed
