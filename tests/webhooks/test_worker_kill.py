"""Real processes: a webhook delivery survives a consumer killed mid-send and a queue that lost its message."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.e2e.service import Service, service_env
from tests.webhooks.receiver import Reply

pytestmark = pytest.mark.slow


@pytest.fixture
def service(tmp_path: Path):
    env = service_env(
        tmp_path,
        DOCPIPE_WORKER_HEARTBEAT_SECONDS="1",
        DOCPIPE_RECOVERY_INTERVAL_SECONDS="1",
        DOCPIPE_WEBHOOK_ALLOW_PRIVATE="true",
        DOCPIPE_WEBHOOK_TIMEOUT_SECONDS="2",
    )
    running = Service(tmp_path, env)
    running.setup()
    running.start_web()
    yield running
    running.stop()


def api(service: Service, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    status, raw, _ = service.request(method, path, data, {"Content-Type": "application/json"})
    assert status < 300, raw
    return json.loads(raw)


def delivery(service: Service, hook: dict) -> dict:
    (item,) = api(service, "GET", f"/api/v1/webhooks/{hook['id']}/deliveries")["items"]
    return item


def test_a_consumer_killed_mid_send_loses_no_delivery(service, receiver):
    """GIVEN a consumer sending a delivery to a receiver that has not answered yet WHEN the consumer is killed
    with SIGKILL THEN the delivery stays pending (the outbox row survives); once its claim lapses a new
    consumer's periodic pass re-enqueues it and it is delivered: the receiver sees one message id, twice
    (the interrupted attempt and the retry), each verifiable, and the log records both."""
    receiver.answer(Reply(200, delay=60))
    hook = api(service, "POST", "/api/v1/webhooks", {"url": receiver.url(), "events": ["webhook.test"]})
    victim = service.start_consumer()
    api(service, "POST", f"/api/v1/webhooks/{hook['id']}/test")
    service.wait_for(lambda: receiver.requests, 30, "the first attempt to reach the receiver")
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    assert delivery(service, hook)["status"] == "pending"

    service.start_consumer()
    done = service.wait_for(lambda: (d := delivery(service, hook))["status"] == "succeeded" and d, 60, "redelivery")
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len(receiver.requests) == 2
    for request in receiver.requests:
        assert Webhook(hook["secret"]).verify(request.body, request.headers)["type"] == "webhook.test"
    assert [a["status_code"] for a in done["attempts"]] == [None, 200]
    assert done["attempts"][0]["error"].startswith("interrupted")


def test_a_delivery_whose_queue_message_was_lost_is_still_sent_once(service, receiver):
    """GIVEN a committed delivery whose queue message is gone (the queue was wiped before any consumer ran)
    WHEN a consumer starts THEN its periodic pass finds the pending row and it is delivered exactly once."""
    hook = api(service, "POST", "/api/v1/webhooks", {"url": receiver.url(), "events": ["webhook.test"]})
    api(service, "POST", f"/api/v1/webhooks/{hook['id']}/test")
    with sqlite3.connect(service.data_dir / "queue.db") as queue:
        assert queue.execute("DELETE FROM task").rowcount >= 1
    service.start_consumer()
    service.wait_for(lambda: delivery(service, hook)["status"] == "succeeded", 30, "the delivery")
    assert len(receiver.requests) == 1
