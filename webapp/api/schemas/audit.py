"""The audit log: events, the query, the chain's head."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from webapp.api.schemas.base import (
    Cursor,
    Limit,
    Out,
    Outcome,
    Query,
    Timestamp,
)


class AuditActor(Out):
    type: Literal["user", "api_key", "system"] | None
    id: str | None
    name: str | None


class AuditEvent(Out):
    id: str
    at: Timestamp
    actor: AuditActor
    action: str = Field(description="dotted, e.g. job.created")
    resource_type: str | None
    resource_id: str | None
    ip: str | None
    request_id: str | None
    outcome: Outcome
    details: dict[str, Any]
    hash: str


class AuditEventList(Out):
    items: list[AuditEvent]
    next_cursor: str | None


class AuditQuery(Query):
    limit: Limit | None = None
    cursor: Cursor | None = None
    format: Literal["json", "csv", "jsonl"] = Field(default="json", description="csv and jsonl: the whole export")
    actor: str | None = Field(default=None, description="actor id or name")
    action: str | None = Field(default=None, description="prefix: 'job.' finds every job event")
    resource_type: str | None = None
    resource_id: str | None = None
    outcome: Outcome | None = None
    since: Timestamp | None = None
    until: Timestamp | None = None


class AuditHead(Out):
    event_id: str | None
    hash: str | None
    events: int


EXPORT_MEDIA = {
    "text/csv": {"schema": {"type": "string", "description": "a header row, then one row per event"}},
    "application/x-ndjson": {"schema": {"type": "string", "description": "one audit event object per line"}},
}
