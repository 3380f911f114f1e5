"""Idempotency-Key on POST /api/v1/jobs: replays, misuse, requests in flight, expiry, and racing retries."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from tests.api.multipart import post_files
from tests.conftest import PASSWORD, Accounts, corpus_file
from webapp.extensions import db
from webapp.models import ApiKey, IdempotencyKey, Job
from webapp.services import idempotency
from webapp.timeutil import utcnow

TEXT = b"Minutes of the meeting. The budget was approved."


def submit(client, key: str | None, files=None, **form):
    headers = {} if key is None else {"Idempotency-Key": key}
    return post_files(client, files or [(TEXT, "minutes.txt")], headers=headers, **form)


def job_count(app) -> int:
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(Job)).scalar_one()
        db.session.remove()
        return count


def key_scope(app, accounts: Accounts, role: str) -> str:
    accounts.ensure(role)
    with app.app_context():
        key_id = db.session.execute(select(ApiKey.id).filter_by(user_id=accounts.ids[role])).scalar_one()
        db.session.remove()
    return idempotency.scope_of("api_key", key_id, key_id)


def test_a_retry_with_the_same_key_and_body_replays_the_original_job(app, client):
    first = submit(client, "order-7731", priority="8", labels='{"customer": "acme"}')
    again = submit(client, "order-7731", priority="8", labels='{"customer": "acme"}')
    assert first.status_code == 202 and "Idempotent-Replayed" not in first.headers
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert job_count(app) == 1


def test_the_same_key_with_a_different_request_is_422(app, client):
    """GIVEN a key used once WHEN it comes again with other bytes, priority, labels, pipeline or file name
    THEN each is refused with 422 naming the header, and no job is added."""
    assert submit(client, "k-1").status_code == 202
    variants = [
        {"files": [(TEXT + b"!", "minutes.txt")]},
        {"files": [(TEXT, "other-name.txt")]},
        {"priority": "3"},
        {"labels": '{"a": 1}'},
        {"pipeline": "default-but-named-differently"},
    ]
    for variant in variants:
        refused = submit(client, "k-1", **variant)
        assert refused.status_code == 422, variant
        problem = refused.get_json()
        assert refused.content_type == "application/problem+json"
        assert problem["type"] == "/problems/idempotency-key-reused"
        assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert job_count(app) == 1


def test_invalid_keys_are_422_naming_the_header(app, client):
    for bad in ["", "x" * 256, "tab\there", "bell\x07"]:
        refused = submit(client, bad)
        assert refused.status_code == 422, repr(bad)
        assert refused.get_json()["errors"] == [
            {"field": "Idempotency-Key", "message": "must be 1 to 255 printable ASCII characters"}
        ]
    assert submit(client, "x" * 255).status_code == 202
    assert submit(client, " ~!printable ascii~ ").status_code == 202
    assert job_count(app) == 2


def test_a_retry_while_the_first_request_is_in_flight_is_409(app, client, accounts):
    """GIVEN the key claimed by a request that has not finished WHEN the client retries THEN 409 problem
    with Retry-After, and the retry creates nothing."""
    scope = key_scope(app, accounts, "admin")
    with app.app_context():
        print_ = idempotency.fingerprint(None, None, {}, [("minutes.txt", _stream(TEXT))])
        assert idempotency.claim(scope, "slow-1", print_).row_id
        db.session.remove()
    busy = submit(client, "slow-1")
    assert busy.status_code == 409
    assert busy.get_json()["type"] == "/problems/idempotency-key-in-flight"
    assert busy.headers["Retry-After"] == "1"
    assert job_count(app) == 0


def test_an_abandoned_in_flight_key_is_taken_over_after_ten_minutes(app, client, accounts):
    scope = key_scope(app, accounts, "admin")
    with app.app_context():
        print_ = idempotency.fingerprint(None, None, {}, [("minutes.txt", _stream(TEXT))])
        row_id = idempotency.claim(scope, "crashed", print_).row_id
        stale = utcnow() - timedelta(seconds=idempotency.IN_FLIGHT_SECONDS + 1)
        db.session.execute(update(IdempotencyKey).where(IdempotencyKey.id == row_id).values(created_at=stale))
        db.session.commit()
        # The crashed request, should it wake up, can no longer complete the key it lost.
        complete = idempotency.completer(row_id, 202)
    taken = submit(client, "crashed")
    assert taken.status_code == 202 and "Idempotent-Replayed" not in taken.headers
    with app.app_context():
        try:
            complete([])
            raise AssertionError("the stale request completed a key it no longer holds")
        except idempotency.IdempotencyInFlight:
            db.session.rollback()
        db.session.remove()
    assert submit(client, "crashed").get_json()["id"] == taken.get_json()["id"]


def test_a_failed_submission_releases_its_key(app, client):
    """GIVEN a first attempt that fails (unknown pipeline) WHEN retried as is THEN it fails the same way
    (nothing was stored under the key); the corrected request may then use the key."""
    assert submit(client, "fix-me", pipeline="no-such-pipeline").status_code == 404
    assert submit(client, "fix-me", pipeline="no-such-pipeline").status_code == 404
    fixed = submit(client, "fix-me", pipeline="default")
    assert fixed.status_code == 202 and "Idempotent-Replayed" not in fixed.headers
    assert job_count(app) == 1


def test_keys_belong_to_the_api_key_that_sent_them(app, client, accounts):
    operator = accounts.client("operator")
    mine = submit(client, "shared-name")
    theirs = submit(operator, "shared-name", files=[(b"another document", "other.txt")])
    assert mine.status_code == theirs.status_code == 202
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert (
        submit(operator, "shared-name", files=[(b"another document", "other.txt")]).headers["Idempotent-Replayed"]
        == "true"
    )


def test_jwt_callers_have_keys_of_their_own(app, anon, accounts):
    accounts.ensure("operator")
    token = anon.post(
        "/api/v1/auth/token", json={"email": accounts.email("operator"), "password": PASSWORD}
    ).get_json()["access_token"]
    caller = app.test_client()
    caller.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    first = submit(caller, "jwt-1")
    again = submit(caller, "jwt-1")
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json()["id"] == first.get_json()["id"]
    with app.app_context():
        scopes = db.session.execute(select(IdempotencyKey.scope)).scalars().all()
        db.session.remove()
    assert scopes == [f"user:{accounts.ids['operator']}"]


def test_expired_keys_are_ignored_and_purged_by_the_periodic_task(app, client):
    from webapp.queue import get_huey

    first = submit(client, "daily-import")
    with app.app_context():
        db.session.execute(update(IdempotencyKey).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    # Expired: the key is free, even for a different request.
    second = submit(client, "daily-import", files=[(b"the next day's file", "next.txt")])
    assert second.status_code == 202 and second.get_json()["id"] != first.get_json()["id"]
    submit(client, "old-one")
    with app.app_context():
        db.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "old-one")
            .values(expires_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
        huey = get_huey(app)  # registers the tasks
        purge = app.extensions["docpipe.tasks"].purge_idempotency_keys
        try:
            assert purge.call_local() == 1
            assert purge.call_local() is None  # once per hour however many consumers schedule it
        finally:
            # On Redis, close the queue's connections now: left to the garbage collector (the app and its
            # tasks refer to each other), a socket may be finalised before its connection closes it.
            pool = getattr(getattr(huey.storage, "conn", None), "connection_pool", None)
            if pool is not None:
                pool.disconnect()
        left = db.session.execute(select(IdempotencyKey.key)).scalars().all()
        db.session.remove()
    assert left == ["daily-import"]


def test_keys_live_24_hours_by_default(app, client):
    submit(client, "ttl")
    with app.app_context():
        row = db.session.execute(select(IdempotencyKey)).scalar_one()
        assert row.status == "completed" and row.response_status == 202 and len(row.job_ids) == 1
        assert timedelta(hours=23, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=24)
        db.session.remove()


def test_a_batch_replays_all_its_jobs_in_order(app, client):
    files = [(corpus_file("pdf_arxiv_2201.00029.pdf").read_bytes(), "paper.pdf"), (TEXT, "minutes.txt")]
    first = submit(client, "batch-1", files=files)
    again = submit(client, "batch-1", files=files)
    assert first.status_code == again.status_code == 202
    assert [job["id"] for job in again.get_json()["items"]] == [job["id"] for job in first.get_json()["items"]]
    assert again.headers["Idempotent-Replayed"] == "true" and "Location" not in again.headers
    assert submit(client, "batch-1", files=files[::-1]).status_code == 422  # the order is part of the request
    assert job_count(app) == 2


def test_a_replay_of_a_deleted_job_is_404(app, client):
    job_id = submit(client, "gone").get_json()["id"]
    assert client.delete(f"/api/v1/jobs/{job_id}").status_code == 204
    missing = submit(client, "gone")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"


def test_concurrent_submits_with_one_key_create_one_job(app, accounts):
    """GIVEN six clients sending the same request with the same key at the same instant (a client retrying
    hard) WHEN they race THEN exactly one job exists; every answer is that job (202) or 409 in flight."""
    data = corpus_file("pdf_arxiv_2201.00029.pdf").read_bytes()
    clients = [accounts.client("operator") for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, dict]] = []

    def send(client) -> None:
        barrier.wait()
        response = submit(client, "race-1", files=[(data, "paper.pdf")])
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert job_count(app) == 1
    statuses = sorted(status for status, _ in answers)
    assert set(statuses) <= {202, 409} and statuses.count(202) >= 1, answers
    assert len({body["id"] for status, body in answers if status == 202}) == 1
    assert all(body["type"] == "/problems/idempotency-key-in-flight" for status, body in answers if status == 409)


def _stream(data: bytes):
    import io

    return io.BytesIO(data)
