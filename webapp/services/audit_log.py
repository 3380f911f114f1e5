"""Reading the audit log: filtered queries, chain verification, the exportable head, retention purges."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select

from webapp.extensions import db
from webapp.models import AuditCheckpoint, AuditEvent
from webapp.pipeline.config import FieldError
from webapp.services import audit
from webapp.services.errors import NotFoundError, ValidationFailed
from webapp.services.jobs import decode_cursor, encode_cursor
from webapp.timeutil import RFC3339_HINT, parse_time_args, utcnow

FILTERS = ("actor", "action", "resource_type", "resource_id", "since", "until", "outcome")


@dataclass(slots=True)
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def parse_filters(args: dict[str, str]) -> AuditFilters:
    filters = AuditFilters()
    errors = []
    for key in ("actor", "action", "resource_type", "resource_id", "outcome"):
        if args.get(key):
            setattr(filters, key, args[key][:400])
    if filters.outcome and filters.outcome not in audit.OUTCOMES:
        errors.append(FieldError("outcome", f"must be one of {', '.join(audit.OUTCOMES)}"))
    times, bad = parse_time_args(args, ("since", "until"))
    for key, value in times.items():
        setattr(filters, key, value)
    errors.extend(FieldError(key, RFC3339_HINT) for key in bad)
    if errors:
        raise ValidationFailed(errors)
    return filters


def _query(filters: AuditFilters):
    query = select(AuditEvent)
    if filters.actor:
        query = query.where(
            or_(AuditEvent.actor_id.in_(_actor_ids(filters.actor)), AuditEvent.actor_name == filters.actor)
        )
    if filters.action:
        # Prefix match: "job." finds every job event; a full name finds exactly it.
        escaped = filters.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEvent.action.like(escaped + "%", escape="\\"))
    if filters.resource_type:
        query = query.where(AuditEvent.resource_type == filters.resource_type)
    if filters.resource_id:
        query = query.where(AuditEvent.resource_id == filters.resource_id)
    if filters.outcome:
        query = query.where(AuditEvent.outcome == filters.outcome)
    if filters.since:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.at < filters.until)
    return query


def _actor_ids(actor: str) -> list[str]:
    """A user (by id or e-mail) acts in person and through their API keys: both count as them."""
    from webapp.models import ApiKey, User

    user_id = db.session.execute(
        select(User.id).where(or_(User.id == actor, User.email == actor.strip().lower()))
    ).scalar_one_or_none()
    if user_id is None:
        return [actor]
    keys = db.session.execute(select(ApiKey.id).where(ApiKey.user_id == user_id)).scalars().all()
    return [actor, user_id, *keys]


def list_events(filters: AuditFilters, limit: int, cursor: str | None) -> tuple[list[AuditEvent], str | None]:
    query = _query(filters)
    if cursor:
        try:
            before = int(decode_cursor(cursor))
        except ValueError:
            raise ValidationFailed([FieldError("cursor", "invalid cursor")]) from None
        query = query.where(AuditEvent.id < before)
    rows = list(db.session.execute(query.order_by(AuditEvent.id.desc()).limit(limit + 1)).scalars())
    next_cursor = encode_cursor(str(rows[limit - 1].id)) if len(rows) > limit else None
    return rows[:limit], next_cursor


def iter_events(filters: AuditFilters, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every matching event, newest first, in batches (exports of any size in bounded memory)."""
    before = None
    while True:
        query = _query(filters)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        rows = list(db.session.execute(query.order_by(AuditEvent.id.desc()).limit(batch)).scalars())
        if not rows:
            return
        yield from rows
        before = rows[-1].id
        db.session.expunge_all()


def get_event(event_id: int) -> AuditEvent:
    event = db.session.get(AuditEvent, event_id)
    if event is None:
        raise NotFoundError(f"there is no audit event {event_id}: it may have been purged")
    return event


def neighbours(event: AuditEvent) -> tuple[AuditEvent | None, int | None]:
    """The event just before ``event`` in the chain (to check its link) and the id of the one just after."""
    older = db.session.execute(
        select(AuditEvent).where(AuditEvent.id < event.id).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar()
    newer = db.session.execute(
        select(AuditEvent.id).where(AuditEvent.id > event.id).order_by(AuditEvent.id).limit(1)
    ).scalar()
    return older, newer


@dataclass(slots=True)
class Verification:
    ok: bool
    checked: int
    problem: str | None = None
    event_id: int | None = None
    head: str | None = None


def verify(batch: int = 5000) -> Verification:
    """Walk the chain from the oldest kept event. An edited event fails its own hash; a deleted or inserted
    one breaks the next event's link; a purge is accepted only where a checkpoint says it happened."""
    checkpoints = {row.last_hash for row in db.session.execute(select(AuditCheckpoint)).scalars()}
    expected: str | None = None
    checked = 0
    after = 0
    table = AuditEvent.__table__
    while True:
        # Plain rows, not ORM objects: a million events verify in seconds instead of a minute.
        rows = db.session.execute(select(table).where(table.c.id > after).order_by(table.c.id).limit(batch)).all()
        if not rows:
            return Verification(True, checked, head=expected)
        for event in rows:
            if expected is None:
                if event.prev_hash != audit.GENESIS and event.prev_hash not in checkpoints:
                    return Verification(False, checked, "events before it were removed without a checkpoint", event.id)
            elif event.prev_hash != expected:
                return Verification(
                    False,
                    checked,
                    "its link to the previous event is broken: an event before it was deleted or inserted",
                    event.id,
                )
            if audit.content_hash(event) != event.hash:
                return Verification(False, checked, "its content does not match its hash: it was altered", event.id)
            expected = event.hash
            checked += 1
        after = rows[-1].id


def head() -> dict[str, Any]:
    """The newest event's id and hash: keep it elsewhere to detect a truncated log later."""
    row = db.session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    count = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return {"event_id": str(row[0]) if row else None, "hash": row[1] if row else None, "events": count}


def contains_hash(event_hash: str) -> bool:
    found = db.session.execute(select(AuditEvent.id).where(AuditEvent.hash == event_hash).limit(1)).first()
    if found:
        return True
    # A purge may have removed it legitimately; then a checkpoint at or after it exists.
    return bool(db.session.execute(select(AuditCheckpoint.id).where(AuditCheckpoint.last_hash == event_hash)).first())


def purge(retention_days: int) -> int:
    """Delete events older than the retention period, leaving a checkpoint and an ``audit.purged`` event."""
    cutoff = utcnow() - timedelta(days=retention_days)
    last = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.at < cutoff).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if last is None:
        return 0
    audit._lock_chain()
    removed = db.session.execute(delete(AuditEvent).where(AuditEvent.id <= last[0])).rowcount
    db.session.add(AuditCheckpoint(last_event_id=last[0], last_hash=last[1], purged=removed))
    db.session.flush()
    audit.record(
        "audit.purged", details={"purged": removed, "through_event": str(last[0]), "retention_days": retention_days}
    )
    db.session.commit()
    return removed
