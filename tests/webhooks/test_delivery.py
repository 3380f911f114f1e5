"""Deliveries end to end in-process: events become signed requests to a real receiver, with retries."""

from __future__ import annotations

import json

from standardwebhooks import Webhook

from tests.webhooks.conftest import create_webhook, submit


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
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 2 and all(i.startswith("msg_") for i in ids)
    assert json.loads(receiver.requests[0].body)["timestamp"].endswith("Z")
