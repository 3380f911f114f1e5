"""Deliveries in-process against a real receiver: events become signed requests, with retries on a
schedule, Retry-After, endpoints disabled by 410 or by failing for days, rotation and redelivery.

The clock is moved by passing ``now`` to the delivery code, never by sleeping."""

from __future__ import annotations

import email.utils
import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.conftest import multipart_body
from tests.webhooks.conftest import create_webhook, submit
from tests.webhooks.receiver import Reply
from webapp.extensions import db
from webapp.models import AuditEvent, WebhookDelivery
from webapp.services import webhook_delivery
from webapp.services.webhook_delivery import MAX_ATTEMPTS, RETRY_DELAYS
from webapp.timeutil import parse_rfc3339, utcnow

STAGES = [{"name": n} for n in ("ingest", "detect", "parse", "output")]


def deliveries(client, hook: dict) -> list[dict]:
    response = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries")
    assert response.status_code == 200
    return response.get_json()["items"]


def only_delivery(client, hook: dict) -> dict:
    (delivery,) = deliveries(client, hook)
    return delivery


def send_test(client, hook: dict) -> dict:
    response = client.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def seconds_until(delivery: dict, start) -> float:
    return (parse_rfc3339(delivery["next_attempt_at"]) - start).total_seconds()


def actions(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())
        db.session.expunge_all()
        return rows


def test_a_processed_job_is_announced_signed_per_standard_webhooks(client, receiver, work_queue, deliver):
    """GIVEN an endpoint subscribed to job.created and job.succeeded WHEN a job is submitted and processed
    THEN the receiver gets both events, each verified by the standardwebhooks library with the secret, with
    the full job object as data."""
    hook = create_webhook(client, receiver.url(), ["job.created", "job.succeeded"])
    job = submit(client)
    work_queue()
    assert deliver() == ["succeeded", "succeeded"]
    verifier = Webhook(hook["secret"])
    bodies = [verifier.verify(r.body, r.headers) for r in receiver.requests]
    assert [b["type"] for b in bodies] == ["job.created", "job.succeeded"]
    created, succeeded = bodies
    assert created["data"]["id"] == succeeded["data"]["id"] == job["id"]
    assert created["data"]["status"] == "queued"
    assert succeeded["data"]["status"] == "succeeded"
    assert {s["status"] for s in succeeded["data"]["stages"]} == {"succeeded"}
    assert set(succeeded["data"]) == set(job)
    assert succeeded["data"] == client.get(f"/api/v1/jobs/{job['id']}").get_json()
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 2 and all(i.startswith("msg_") for i in ids)
    first = receiver.requests[0]
    assert first.headers["content-type"] == "application/json"
    assert abs(int(first.headers["webhook-timestamp"]) - utcnow().timestamp()) < 60
    assert json.loads(first.body)["timestamp"].endswith("Z")


def test_job_succeeded_of_a_chunk_pipeline_counts_and_links_its_chunks(client, receiver, work_queue, deliver):
    """GIVEN a pipeline with the chunk stage WHEN one of its jobs succeeds THEN the job.succeeded data is the job
    with its chunks link and how many chunks there are: a count and a URL, never the chunks themselves."""
    names = ("ingest", "detect", "parse", "chunk", "output")
    stages = [{"name": n, "options": {"max_tokens": 16} if n == "chunk" else {}} for n in names]
    assert client.post("/api/v1/pipelines", json={"name": "chunked", "stages": stages}).status_code == 201
    verifier = Webhook(create_webhook(client, receiver.url(), ["job.succeeded"])["secret"])
    body, content_type = multipart_body({"file": (b"word " * 40, "words.txt"), "pipeline": "chunked"})
    job = client.post("/api/v1/jobs", data=body, content_type=content_type).get_json()
    work_queue()
    assert deliver() == ["succeeded"]
    (request,) = receiver.requests
    data = verifier.verify(request.body, request.headers)["data"]
    chunks = client.get(f"/api/v1/jobs/{job['id']}/chunks").get_json()["items"]
    assert data["chunk_count"] == len(chunks) == 3
    assert data["links"]["chunks"] == f"/api/v1/jobs/{job['id']}/chunks"
    assert {key: value for key, value in data.items() if key != "chunk_count"} == client.get(
        f"/api/v1/jobs/{job['id']}"
    ).get_json()
    assert len(request.body) < 4096


def test_only_subscribed_events_of_enabled_endpoints_are_sent(client, receiver, work_queue, deliver):
    """GIVEN one endpoint for job.failed and job.cancelled, one for pipeline events, one disabled WHEN jobs
    fail and are cancelled and a pipeline is created and updated THEN each gets exactly its own events."""
    jobs_hook = create_webhook(client, receiver.url("/jobs"), ["job.failed", "job.cancelled"])
    pipelines_hook = create_webhook(client, receiver.url("/pipelines"), ["pipeline.created", "pipeline.updated"])
    create_webhook(client, receiver.url("/off"), ["*"], enabled=False)
    failing = submit(client, b"")
    work_queue()
    cancelled = submit(client)
    client.post(f"/api/v1/jobs/{cancelled['id']}/cancel")
    pipeline = client.post("/api/v1/pipelines", json={"name": "hooked", "stages": STAGES}).get_json()
    client.put(f"/api/v1/pipelines/{pipeline['id']}", json={"stages": STAGES, "description": "v2"})
    deliver()
    seen = [(r.path, json.loads(r.body)) for r in receiver.requests]
    assert [(path, body["type"]) for path, body in seen] == [
        ("/jobs", "job.failed"),
        ("/jobs", "job.cancelled"),
        ("/pipelines", "pipeline.created"),
        ("/pipelines", "pipeline.updated"),
    ]
    assert seen[0][1]["data"]["id"] == failing["id"] and seen[0][1]["data"]["error"]["type"] == "empty_document"
    assert seen[1][1]["data"]["status"] == "cancelled"
    assert seen[2][1]["data"]["version"] == 1 and seen[3][1]["data"]["version"] == 2
    assert seen[3][1]["data"]["description"] == "v2"
    assert len(deliveries(client, jobs_hook)) == 2 and len(deliveries(client, pipelines_hook)) == 2


def test_a_change_that_rolls_back_sends_nothing_and_the_queue_hears_only_after_commit(app, client, monkeypatch):
    """GIVEN a subscribed endpoint WHEN a change and its event roll back THEN no message exists and nothing
    was enqueued; WHEN one commits THEN the queue is told only once the delivery is visible to others."""
    from webapp import queue

    hook = create_webhook(client, "http://127.0.0.1:9/never", ["pipeline.created"])
    told: list[tuple[str, bool]] = []

    def fake_enqueue(delivery_id: str, delay: float | None = None) -> bool:
        with db.engine.connect() as other:  # another connection sees committed rows only
            visible = other.execute(select(WebhookDelivery.id).where(WebhookDelivery.id == delivery_id)).first()
        told.append((delivery_id, visible is not None))
        return True

    monkeypatch.setattr(queue, "enqueue_webhook", fake_enqueue)
    with app.test_request_context():
        from webapp.services import audit, pipelines

        audit.record("pipeline.created", "pipeline", pipelines.get_pipeline("default").id)
        db.session.rollback()
        assert db.session.execute(select(WebhookDelivery)).first() is None
    assert told == []
    client.post("/api/v1/pipelines", json={"name": "committed", "stages": STAGES})
    (delivery,) = deliveries(client, hook)
    assert told == [(delivery["id"], True)]


def test_a_failing_receiver_is_retried_on_the_schedule_then_the_delivery_fails(client, receiver, deliver):
    """GIVEN a receiver answering 500 WHEN the delivery is attempted THEN it stays pending with the next
    attempt ≈ 5 s later, then 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (±10 % jitter), and after the 8th failure
    it is failed with no next attempt; every attempt is logged with its status and answer."""
    receiver.answer(default=Reply(500, b"boom"))
    hook = create_webhook(client, receiver.url(), ["job.created"])
    send_test(client, hook)
    now = utcnow()
    assert deliver(now) == ["pending"]
    delivery = only_delivery(client, hook)
    assert delivery["status"] == "pending"
    assert 4.5 <= seconds_until(delivery, now) <= 5.5
    attempt = delivery["attempts"][0]
    assert (attempt["status_code"], attempt["error"], attempt["response_body"]) == (500, "HTTP 500", "boom")
    assert attempt["duration_ms"] >= 0
    for expected in RETRY_DELAYS[1:]:
        now = parse_rfc3339(delivery["next_attempt_at"])
        assert deliver(now - timedelta(seconds=1)) == [], "not before it is due"
        assert deliver(now) == ["pending"]
        delivery = only_delivery(client, hook)
        assert expected * 0.9 <= seconds_until(delivery, now) <= expected * 1.1
    assert deliver(parse_rfc3339(delivery["next_attempt_at"])) == ["failed"]
    delivery = only_delivery(client, hook)
    assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    assert len(delivery["attempts"]) == MAX_ATTEMPTS == len(receiver.requests)
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert client.get(f"/api/v1/webhooks/{hook['id']}").get_json()["enabled"] is True


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("120", 120), ("HTTP-DATE+3600", 3600), ("99999999", 10 * 3600), ("1", 5), ("soon", 5)],
)
def test_retry_after_is_honoured_and_capped(client, receiver, deliver, retry_after, expected):
    """GIVEN a receiver answering 503 with Retry-After (seconds or an HTTP date) WHEN the attempt fails THEN
    the next attempt waits that long (never less than the schedule, never more than 10 hours)."""
    hook = create_webhook(client, receiver.url(), ["job.created"])
    send_test(client, hook)
    now = utcnow()
    if retry_after.startswith("HTTP-DATE"):
        retry_after = email.utils.format_datetime(now + timedelta(seconds=3600), usegmt=True)
    receiver.answer(Reply(503, b"busy", {"Retry-After": retry_after}))
    assert deliver(now) == ["pending"]
    wait = seconds_until(only_delivery(client, hook), now)
    assert expected * 0.9 - 1 <= wait <= expected * 1.1 + 1


def test_410_gone_disables_the_endpoint_with_the_reason(app, client, receiver, deliver):
    """GIVEN a receiver answering 410 WHEN a delivery is attempted THEN it fails at once (no retry), the
    endpoint is disabled with the reason shown to the admin and an audit event, and no later event is sent."""
    receiver.answer(Reply(410, b"gone"))
    hook = create_webhook(client, receiver.url(), ["*"])
    send_test(client, hook)
    assert deliver() == ["failed"]
    endpoint = client.get(f"/api/v1/webhooks/{hook['id']}").get_json()
    assert endpoint["enabled"] is False
    assert "410" in endpoint["disabled_reason"] and endpoint["disabled_at"]
    (event,) = actions(app, "webhook.disabled")
    assert event.resource_id == hook["id"] and "410" in event.details["reason"]
    assert event.actor_type == "system"
    submit(client)
    assert deliver() == [] and len(receiver.requests) == 1
    assert client.post(f"/api/v1/webhooks/{hook['id']}/test").status_code == 409


def test_an_endpoint_failing_for_72_hours_is_disabled(app, client, receiver, deliver):
    """GIVEN an endpoint whose every attempt fails WHEN failures have gone on for 72 hours THEN it is
    disabled, the reason says so, and its pending deliveries stop; a success before then resets the count."""
    receiver.answer(default=Reply(500))
    hook = create_webhook(client, receiver.url(), ["*"])
    send_test(client, hook)
    start = utcnow()
    assert deliver(start) == ["pending"]
    assert client.get(f"/api/v1/webhooks/{hook['id']}").get_json()["failing_since"] is not None
    # A success in between starts the count again.
    receiver.answer(Reply(200))
    deliver(start + timedelta(hours=1))
    assert client.get(f"/api/v1/webhooks/{hook['id']}").get_json()["failing_since"] is None
    send_test(client, hook)
    deliver(start + timedelta(hours=2))
    send_test(client, hook)
    deliver(start + timedelta(hours=60))
    assert client.get(f"/api/v1/webhooks/{hook['id']}").get_json()["enabled"] is True
    deliver(start + timedelta(hours=75))
    endpoint = client.get(f"/api/v1/webhooks/{hook['id']}").get_json()
    assert endpoint["enabled"] is False
    assert endpoint["disabled_reason"].startswith("every delivery failed for 72 hours")
    assert {d["status"] for d in deliveries(client, hook)} == {"failed", "succeeded"}
    assert actions(app, "webhook.disabled")[-1].details["reason"] == endpoint["disabled_reason"]


def test_redirects_are_not_followed_and_count_as_failures(client, receiver, deliver):
    receiver.answer(Reply(302, b"", {"Location": receiver.url("/elsewhere")}))
    hook = create_webhook(client, receiver.url(), ["*"])
    send_test(client, hook)
    assert deliver() == ["pending"]
    assert [r.path for r in receiver.requests] == ["/hook"]
    attempt = only_delivery(client, hook)["attempts"][0]
    assert attempt["status_code"] == 302 and attempt["error"].startswith("redirect not followed")


def test_a_slow_receiver_times_out_within_the_budget(client, receiver, deliver):
    """GIVEN a receiver that answers after 5 s and a 1 s budget WHEN the attempt runs THEN it fails as a
    timeout after about 1 s and is retried later."""
    receiver.answer(Reply(200, delay=5))
    hook = create_webhook(client, receiver.url(), ["*"])
    send_test(client, hook)
    assert deliver() == ["pending"]
    attempt = only_delivery(client, hook)["attempts"][0]
    assert attempt["status_code"] is None and attempt["error"] == "timed out after 1 s"
    assert 900 <= attempt["duration_ms"] < 3000


def test_a_trickling_receiver_gets_no_more_than_the_whole_budget(client, deliver, app):
    """GIVEN a receiver that sends its answer one byte every 0.3 s WHEN the attempt runs THEN it is cut off
    at the total budget (1 s), not after each byte's own timeout."""
    import socket
    import threading
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                if stop.wait(0.3):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        hook = create_webhook(client, f"http://127.0.0.1:{listener.getsockname()[1]}/", ["*"])
        send_test(client, hook)
        started = time.monotonic()
        assert deliver() == ["pending"]
        assert time.monotonic() - started < 3
        assert only_delivery(client, hook)["attempts"][0]["error"] == "timed out after 1 s"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_long_answers_are_stored_truncated(client, receiver, deliver):
    receiver.answer(Reply(200, b"x" * 10_000))
    hook = create_webhook(client, receiver.url(), ["*"])
    send_test(client, hook)
    deliver()
    body = only_delivery(client, hook)["attempts"][0]["response_body"]
    assert body == "x" * 2048 + "…"


def test_after_a_rotation_old_and_new_secrets_both_verify_for_24_hours(app, client, receiver, deliver):
    """GIVEN a rotated secret WHEN a delivery is sent THEN it carries two signatures, and standardwebhooks
    verifies it with the old secret and with the new one; once the 24 hours are over only the new one does."""
    hook = create_webhook(client, receiver.url(), ["*"])
    rotated = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    new_secret = rotated.get_json()["secret"]
    assert new_secret != hook["secret"] and new_secret.startswith("whsec_")
    expires = parse_rfc3339(rotated.get_json()["previous_secret_expires_at"])
    assert timedelta(hours=23, minutes=59) < expires - utcnow() <= timedelta(hours=24)
    send_test(client, hook)
    deliver()
    (request,) = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], new_secret):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"

    with app.app_context():
        from webapp.services import webhooks

        # Rotated 25 hours ago: the secret before it has stopped signing.
        _, newest = webhooks.rotate_secret(webhooks.get_endpoint(hook["id"]), now=utcnow() - timedelta(hours=25))
        db.session.remove()
    send_test(client, hook)
    deliver()
    latest = receiver.requests[-1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(newest).verify(latest.body, latest.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret).verify(latest.body, latest.headers)


def test_redelivery_keeps_the_webhook_id_with_a_fresh_timestamp(client, receiver, deliver):
    """GIVEN a delivery that succeeded WHEN it is redelivered THEN a new series of attempts sends the same
    message id and body with a new timestamp and signature, both verifiable."""
    hook = create_webhook(client, receiver.url(), ["*"])
    send_test(client, hook)
    now = utcnow()
    deliver(now)
    delivery = only_delivery(client, hook)
    response = client.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver")
    assert response.status_code == 202
    assert response.get_json()["status"] == "pending"
    assert deliver(now + timedelta(seconds=10)) == ["succeeded"]
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery["event_id"]
    assert int(second.headers["webhook-timestamp"]) >= int(first.headers["webhook-timestamp"]) + 10
    assert first.body == second.body
    verifier = Webhook(hook["secret"])
    assert verifier.verify(first.body, first.headers) == verifier.verify(second.body, second.headers)
    assert [a["status_code"] for a in only_delivery(client, hook)["attempts"]] == [200, 200]


def test_a_failed_delivery_can_be_redelivered_after_the_receiver_is_fixed(client, receiver, deliver):
    receiver.answer(default=Reply(500))
    hook = create_webhook(client, receiver.url(), ["*"])
    send_test(client, hook)
    now = utcnow()
    while deliver(now) != ["failed"]:
        now = parse_rfc3339(only_delivery(client, hook)["next_attempt_at"])
    delivery = only_delivery(client, hook)
    assert delivery["status"] == "failed"
    receiver.answer(default=Reply(204))
    assert client.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver").status_code == 202
    assert deliver(now) == ["succeeded"]
    assert len(only_delivery(client, hook)["attempts"]) == MAX_ATTEMPTS + 1


def test_a_worker_that_dies_mid_attempt_loses_nothing_and_duplicates_nothing(
    app, client, receiver, deliver, monkeypatch
):
    """GIVEN a worker that claimed a delivery and died before sending it WHEN the claim is still held THEN
    nobody else sends it; WHEN the claim has lapsed THEN the periodic pass puts it back in the queue and it
    is delivered once, the lost attempt noted in the log."""
    from webapp import queue

    hook = create_webhook(client, receiver.url(), ["*"])
    delivery_id = send_test(client, hook)["id"]
    now = utcnow()
    with app.app_context():
        assert webhook_delivery.claim(delivery_id, now) is not None  # ... and the worker is killed here
        assert webhook_delivery.claim(delivery_id, now) is None, "two workers never hold the same attempt"
        db.session.remove()
    assert deliver(now + timedelta(seconds=5)) == []
    rung: list[str] = []

    def ring(delivery_id: str, delay: float | None = None) -> bool:
        rung.append(delivery_id)
        return True

    monkeypatch.setattr(queue, "enqueue_webhook", ring)
    with app.app_context():
        assert webhook_delivery.resend_due(now + timedelta(seconds=5)) == []
        lapsed = now + timedelta(seconds=webhook_delivery.timeout_seconds() + 11)
        assert webhook_delivery.resend_due(lapsed) == [delivery_id]
        db.session.remove()
    assert rung == [delivery_id]
    with app.app_context():
        assert webhook_delivery.deliver(delivery_id, lapsed) == "succeeded"
        assert webhook_delivery.deliver(delivery_id, lapsed) is None, "a duplicate doorbell does nothing"
        db.session.remove()
    assert len(receiver.requests) == 1
    attempts = only_delivery(client, hook)["attempts"]
    assert [a["status_code"] for a in attempts] == [None, 200]
    assert attempts[0]["error"].startswith("interrupted")


def test_workers_racing_for_one_delivery_send_it_once(app, client, receiver):
    """GIVEN one due delivery WHEN four workers try to send it at the same moment THEN exactly one claims
    and sends it; the others find nothing to do."""
    import threading

    hook = create_webhook(client, receiver.url(), ["*"])
    delivery_id = send_test(client, hook)["id"]
    start = threading.Barrier(4)
    outcomes: list[str | None] = []

    def worker() -> None:
        with app.app_context():
            start.wait()
            try:
                outcomes.append(webhook_delivery.deliver(delivery_id))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes, key=str) == [None, None, None, "succeeded"]
    assert len(receiver.requests) == 1
