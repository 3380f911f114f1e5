"""The audit log: who did what, when, from where, and whether it was allowed.

``record`` adds an event to the caller's open transaction, so the event commits or rolls back with the
change it describes. Events form a hash chain: each carries the SHA-256 of its own content and of the event
before it. Appends are serialised (SQLite: BEGIN IMMEDIATE already; PostgreSQL: a transaction-scoped
advisory lock), so concurrent writers never fork the chain; call ``record`` last, just before the commit.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, text

from webapp.extensions import db
from webapp.models import AuditEvent
from webapp.timeutil import isoformat, utcnow

GENESIS = "0" * 64
OUTCOMES = ("success", "denied", "error")
# An arbitrary constant naming the audit chain's advisory lock.
_CHAIN_LOCK = 7_340_913_001


@dataclass(frozen=True, slots=True)
class AuditContext:
    actor_type: str = "system"
    actor_id: str | None = None
    actor_name: str | None = "docpipe"
    ip: str | None = None
    request_id: str | None = None


# Called with each new event inside its transaction (the webhook outbox listens here), so whatever a
# listener writes commits or rolls back together with the change and its audit event.
_listeners: list[Callable[[AuditEvent], None]] = []


def subscribe(listener: Callable[[AuditEvent], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("audit_context", default=AuditContext())  # noqa: B039 - frozen


def set_context(context: AuditContext) -> contextvars.Token:
    return _context.set(context)


def reset_context(token: contextvars.Token) -> None:
    _context.reset(token)


def current_context() -> AuditContext:
    return _context.get()


def set_actor(actor_type: str, actor_id: str | None, actor_name: str | None) -> None:
    _context.set(replace(_context.get(), actor_type=actor_type, actor_id=actor_id, actor_name=actor_name))


def content_hash(event: Any) -> str:
    """SHA-256 over the event's canonical JSON, which includes the previous event's hash. ``event`` is an
    AuditEvent or a row with the same column names."""
    payload = {
        "at": isoformat(event.at),
        "actor": [event.actor_type, event.actor_id, event.actor_name],
        "action": event.action,
        "resource": [event.resource_type, event.resource_id],
        "ip": event.ip,
        "request_id": event.request_id,
        "outcome": event.outcome,
        "details": event.details or {},
        "prev": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_chain() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})


def record(
    action: str,
    resource_type: str | None = None,
    resource_id: str | None = None,
    *,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append an event to the current transaction (not committed here)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    ctx = _context.get()
    _lock_chain()
    previous = db.session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    event = AuditEvent(
        at=at or utcnow(),
        actor_type=ctx.actor_type,
        actor_id=ctx.actor_id,
        actor_name=ctx.actor_name,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        ip=ctx.ip,
        request_id=ctx.request_id,
        outcome=outcome,
        details=details or {},
        prev_hash=previous or _checkpoint_hash() or GENESIS,
    )
    event.hash = content_hash(event)
    db.session.add(event)
    db.session.flush()
    for listener in _listeners:
        listener(event)
    return event


def record_alone(action: str, resource_type: str | None = None, resource_id: str | None = None, **kwargs: Any) -> None:
    """For events with no change to ride on (denied requests, failed sign-ins): their own transaction."""
    db.session.rollback()
    record(action, resource_type, resource_id, **kwargs)
    db.session.commit()


def _checkpoint_hash() -> str | None:
    """After a purge emptied the log, the chain continues from the checkpoint."""
    from webapp.models import AuditCheckpoint

    return db.session.execute(select(AuditCheckpoint.last_hash).order_by(AuditCheckpoint.id.desc()).limit(1)).scalar()


def event_to_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "at": isoformat(event.at),
        "actor": {"type": event.actor_type, "id": event.actor_id, "name": event.actor_name},
        "action": event.action,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "ip": event.ip,
        "request_id": event.request_id,
        "outcome": event.outcome,
        "details": event.details or {},
        "hash": event.hash,
    }
