"""The hash chain: verification finds the first altered, inserted or deleted event; writers never fork it."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from webapp.extensions import db
from webapp.models import AuditCheckpoint, AuditEvent
from webapp.services import audit, audit_log
from webapp.timeutil import utcnow


def fill(app, count: int = 10) -> list[int]:
    with app.app_context():
        ids = []
        for number in range(count):
            ids.append(audit.record("test.event", "thing", str(number), details={"n": number}).id)
            db.session.commit()
        return ids


def verify_cli(runner, *args):
    return runner.invoke(args=["audit", "verify", *args])


def test_a_clean_log_verifies(app, runner):
    fill(app)
    result = verify_cli(runner)
    assert result.exit_code == 0, result.output
    assert "audit log OK" in result.output


def test_an_altered_event_is_named(app, runner):
    ids = fill(app)
    with app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[4]).values(actor_name="someone else"))
        db.session.commit()
    result = verify_cli(runner)
    assert result.exit_code == 1
    assert f"TAMPERED at event {ids[4]}" in result.output and "altered" in result.output


def test_a_deleted_event_breaks_the_next_link(app, runner):
    ids = fill(app)
    with app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == ids[3]))
        db.session.commit()
    result = verify_cli(runner)
    assert result.exit_code == 1 and f"TAMPERED at event {ids[4]}" in result.output
    assert "deleted or inserted" in result.output


def test_an_inserted_event_is_caught_even_with_a_correct_own_hash(app, runner):
    """GIVEN an attacker who inserts an event and computes its hash properly WHEN verified THEN the event after
    the insertion no longer links to its predecessor."""
    ids = fill(app)
    with app.app_context():
        # Move the tail up to make room, then insert a well-formed event between ids[5] and the next one.
        tail = db.session.execute(select(AuditEvent).where(AuditEvent.id > ids[5]).order_by(AuditEvent.id.desc()))
        for event in tail.scalars():
            event.id = event.id + 100
        db.session.flush()
        previous = db.session.get(AuditEvent, ids[5])
        forged = AuditEvent(
            id=ids[5] + 1,
            at=utcnow(),
            actor_type="user",
            actor_id="x",
            actor_name="mallory",
            action="user.created",
            outcome="success",
            details={},
            prev_hash=previous.hash,
        )
        forged.hash = audit.content_hash(forged)
        db.session.add(forged)
        db.session.commit()
    result = verify_cli(runner)
    assert result.exit_code == 1 and f"TAMPERED at event {ids[6] + 100}" in result.output


def test_a_truncated_tail_is_caught_with_the_exported_head(app, runner):
    fill(app)
    head = json.loads(runner.invoke(args=["audit", "head"]).output)
    with app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == int(head["event_id"])))
        db.session.commit()
    assert verify_cli(runner).exit_code == 0  # the chain alone cannot see a cut tail...
    result = verify_cli(runner, "--expect-head", head["hash"])
    assert result.exit_code == 1 and "TRUNCATED" in result.output  # ...the exported head can


def test_concurrent_writers_keep_one_chain(app, runner):
    """GIVEN 6 threads, each with its own connection, appending 15 events at once THEN 90 events in one chain."""
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            with app.app_context():
                for index in range(15):
                    audit.record("test.concurrent", "thread", f"{number}-{index}")
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert (
            db.session.execute(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.concurrent")
            ).scalar_one()
            == 90
        )
        hashes = db.session.execute(select(AuditEvent.prev_hash)).scalars().all()
        assert len(hashes) == len(set(hashes))  # no two events share a predecessor: no fork
    assert verify_cli(runner).exit_code == 0


def test_purge_keeps_the_chain_verifiable(app, runner):
    ids = fill(app, 8)
    with app.app_context():
        old = utcnow() - timedelta(days=400)
        db.session.execute(update(AuditEvent).where(AuditEvent.id <= ids[4]).values(at=old))
        # Timestamps are part of the hash: re-seal the aged events as if they had been written back then.
        previous = audit.GENESIS
        for event in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
            event.prev_hash = previous
            event.hash = audit.content_hash(event)
            previous = event.hash
        db.session.commit()
        assert audit_log.purge(365) >= 5
        assert db.session.execute(select(func.count()).select_from(AuditCheckpoint)).scalar_one() == 1
        remaining = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
        assert remaining[-1] == "audit.purged"
    assert verify_cli(runner).exit_code == 0
    with app.app_context():
        # Removing more without a checkpoint is still caught.
        first = db.session.execute(select(func.min(AuditEvent.id))).scalar_one()
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == first))
        db.session.commit()
    assert verify_cli(runner).exit_code == 1


def test_viewers_are_refused_the_audit_api_and_admins_see_the_head(app, accounts):
    assert accounts.client("viewer").get("/api/v1/audit/head").status_code == 403
    head = accounts.client("admin").get("/api/v1/audit/head").get_json()
    assert head["events"] >= 1 and len(head["hash"]) == 64
