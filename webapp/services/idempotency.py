"""Idempotency-Key for job submissions: a retried POST creates its jobs once and answers with them again.

The lock is the row itself. A request first INSERTs (scope, key) in its own transaction: of two racing
requests with one key exactly one INSERT succeeds (unique constraint, on SQLite and PostgreSQL alike); the
other finds the row and gets 409 while it is in flight, the original jobs once it is completed, or 422 if it
asked for something else. The winner then creates its jobs and marks the row completed *in the jobs'
transaction*, guarded by the row's id: jobs and "completed" are committed together or not at all. A failure
deletes the row (the key is free again); a crash leaves an in-flight row that another request may take over
after ``IN_FLIGHT_SECONDS`` — and should the crashed-looking request still finish, its guarded update then
matches nothing and its jobs are rolled back.

Scope: a key belongs to the API key that sent it (``api_key:<id>``), or to the user for our JWTs
(``user:<id>``) and to the subject for an external provider's (``external:<sub>``). Per API key rather
than per user, because separate integrations of one account each have their own key and often number their
requests the same way ("import-1", "import-2"); sharing the key space would replay one integration's jobs to
another. Revoking an API key retires its keys with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models import IdempotencyKey, Job
from webapp.models.idempotency_key import COMPLETED, IN_FLIGHT
from webapp.pipeline.config import FieldError
from webapp.services import jobs
from webapp.services.errors import ConflictError, ValidationFailed
from webapp.timeutil import utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# An in-flight row older than this belongs to a request that died; a retry may take the key over.
IN_FLIGHT_SECONDS = 600
_CLAIM_TRIES = 3
_CHUNK = 1024 * 1024


class IdempotencyKeyReused(ValidationFailed):
    type = "/problems/idempotency-key-reused"
    title = "Idempotency key reused"


class IdempotencyInFlight(ConflictError):
    type = "/problems/idempotency-key-in-flight"
    title = "Request in progress"
    retry_after = 1


@dataclass(frozen=True, slots=True)
class Claim:
    """Either ours to fulfil (``replay`` is None) or the completed row of an earlier request."""

    row_id: str | None
    replay: IdempotencyKey | None = None


def validate_key(raw: str) -> str:
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in raw):
        raise ValidationFailed([FieldError(HEADER, f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")])
    return raw


def scope_of(kind: str, identity_id: str, api_key_id: str | None = None) -> str:
    if kind == "api_key" and api_key_id:
        return f"api_key:{api_key_id}"
    scope = f"{kind}:{identity_id}"
    # External subjects are free-form; a long one is hashed to fit the column.
    return scope if len(scope) <= 200 else f"{kind}:sha256:{hashlib.sha256(identity_id.encode()).hexdigest()}"


def fingerprint(
    pipeline_ref: str | None, priority: int | None, labels: dict[str, Any], files: Sequence[tuple[str, BinaryIO]]
) -> str:
    """SHA-256 over what the request asks for: pipeline, priority, labels, and each file's name and bytes.
    The streams are read to the end and rewound."""
    document = {
        "pipeline": pipeline_ref or "default",
        "priority": priority,
        "labels": labels,
        "files": [[name, _stream_sha256(stream)] for name, stream in files],
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stream_sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def claim(scope: str, key: str, print_: str) -> Claim:
    """Insert the key (committed on its own) or report what an earlier request with it did."""
    db.session.commit()  # whatever the request wrote so far stays out of the claim's transaction
    for _ in range(_CLAIM_TRIES):
        row_id = new_id("idem")
        now = utcnow()
        ttl = timedelta(hours=int(current_app.config["IDEMPOTENCY_KEY_TTL_HOURS"]))
        db.session.add(
            IdempotencyKey(
                id=row_id,
                scope=scope,
                key=key,
                fingerprint=print_,
                status=IN_FLIGHT,
                created_at=now,
                expires_at=now + ttl,
            )
        )
        try:
            db.session.commit()
            return Claim(row_id)
        except IntegrityError:
            db.session.rollback()
        existing = db.session.execute(select(IdempotencyKey).filter_by(scope=scope, key=key)).scalar_one_or_none()
        if existing is not None:
            db.session.expunge(existing)  # keeps its loaded values past the commit
        # Short transactions: on SQLite even this read holds the write lock until the commit.
        db.session.commit()
        if existing is None:
            continue  # released meanwhile: try again
        if _is_dead(existing):
            # The same test in the DELETE: a request completing the row meanwhile keeps it.
            db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == existing.id, _dead_condition()))
            db.session.commit()
            continue
        return _verdict(existing, print_)
    raise IdempotencyInFlight(f"the {HEADER} is being used by another request; retry shortly")


def _is_dead(row: IdempotencyKey) -> bool:
    """Expired, or in flight for so long that its request must have died."""
    now = utcnow()
    stale = row.status == IN_FLIGHT and row.created_at < now - timedelta(seconds=IN_FLIGHT_SECONDS)
    return row.expires_at <= now or stale


def _dead_condition() -> ColumnElement[bool]:
    now = utcnow()
    stale_before = now - timedelta(seconds=IN_FLIGHT_SECONDS)
    return or_(
        IdempotencyKey.expires_at <= now,
        and_(IdempotencyKey.status == IN_FLIGHT, IdempotencyKey.created_at < stale_before),
    )


def _verdict(row: IdempotencyKey, print_: str) -> Claim:
    if row.fingerprint != print_:
        raise IdempotencyKeyReused(
            [FieldError(HEADER, "was already used for a different request (pipeline, priority, labels or files)")]
        )
    if row.status != COMPLETED:
        raise IdempotencyInFlight(f"a request with this {HEADER} is still being processed; retry shortly")
    return Claim(None, replay=row)


def completer(row_id: str, response_status: int) -> Callable[[list[Job]], None]:
    """The step that marks the key completed, to run inside the transaction that creates the jobs."""

    def complete(created: list[Job]) -> None:
        done = db.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == row_id, IdempotencyKey.status == IN_FLIGHT)
            .values(
                status=COMPLETED,
                job_ids=[job.id for job in created],
                response_status=response_status,
                completed_at=utcnow(),
            )
        ).rowcount
        if not done:
            # Taken over after IN_FLIGHT_SECONDS: the other request owns the key now, our jobs must not exist.
            raise IdempotencyInFlight(f"this request's {HEADER} was taken over by a retry")

    return complete


def release(row_id: str) -> None:
    """The request failed: free the key so that a corrected retry can use it."""
    db.session.rollback()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id, IdempotencyKey.status == IN_FLIGHT))
    db.session.commit()


def submit_once(
    scope: str,
    key: str,
    uploads: Sequence[jobs.Upload],
    pipeline_ref: str | None,
    priority: int | None,
    labels: dict[str, Any],
) -> tuple[list[Job], bool]:
    """The jobs of this request and whether they are a replay of an earlier request with the same key."""
    print_ = fingerprint(pipeline_ref, priority, labels, [(upload.filename, upload.stream) for upload in uploads])
    got = claim(scope, key, print_)
    if got.replay is not None:
        return replayed_jobs(got.replay), True
    assert got.row_id is not None
    try:
        created = jobs.submit_jobs(uploads, pipeline_ref, priority, labels, before_commit=completer(got.row_id, 202))
    except BaseException:
        release(got.row_id)
        raise
    return created, False


def replayed_jobs(row: IdempotencyKey) -> list[Job]:
    """The jobs the first request created, in their order; deleted ones are left out."""
    ids = list(row.job_ids or [])
    if not ids:
        return []
    found = {job.id: job for job in db.session.execute(select(Job).where(Job.id.in_(ids))).scalars()}
    return [found[job_id] for job_id in ids if job_id in found]


def purge_expired() -> int:
    """Delete keys past their expiry (run hourly by the consumers)."""
    removed = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow())).rowcount
    db.session.commit()
    return removed
