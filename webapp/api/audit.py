"""The audit log (admin): query with filters and cursors, export as CSV or JSON lines, the chain's head."""

from __future__ import annotations

from flask import jsonify, request

from webapp.api import bp
from webapp.api import schemas as s
from webapp.api.openapi import Answer, doc
from webapp.api.pagination import page_limit, paginated
from webapp.auth.policy import require_permission
from webapp.pipeline.config import FieldError
from webapp.services import audit, audit_export, audit_log
from webapp.services.errors import ValidationFailed


@bp.get("/audit")
@require_permission("audit:read")
@doc(
    tag="audit",
    query=s.AuditQuery,
    answers={
        200: Answer(
            "newest first; format=csv or jsonl: the whole selection as a download",
            s.AuditEventList,
            media=s.EXPORT_MEDIA,
            headers=("Link", "Content-Disposition"),
        )
    },
)
def list_audit():
    """Query or export the audit log (admin)."""
    filters = audit_log.parse_filters(request.args)
    fmt = request.args.get("format", "json")
    if fmt in audit_export.FORMATS:
        return audit_export.response(fmt, filters)
    if fmt != "json":
        raise ValidationFailed([FieldError("format", "must be json, csv or jsonl")])
    events, next_cursor = audit_log.list_events(filters, page_limit(), request.args.get("cursor"))
    return paginated([audit.event_to_dict(event) for event in events], next_cursor)


@bp.get("/audit/head")
@require_permission("audit:read")
@doc(tag="audit", answers={200: Answer("the newest event: keep it to detect a truncated log later", s.AuditHead)})
def audit_head():
    """The audit chain's newest event (admin)."""
    return jsonify(audit_log.head())
