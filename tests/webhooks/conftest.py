"""Webhook fixtures: an app that may call loopback receivers, a real receiver, and in-process delivery."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from flask import Flask

from tests.conftest import multipart_body
from tests.webhooks.receiver import Receiver
from webapp.extensions import db
from webapp.timeutil import utcnow


@pytest.fixture
def app(app: Flask) -> Flask:
    """The usual test app, allowed to reach receivers on 127.0.0.1 (as DOCPIPE_WEBHOOK_ALLOW_PRIVATE=true
    does), with a short time budget per attempt."""
    app.config.update(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT_SECONDS=1)
    return app


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def deliver(app: Flask):
    """Send every due delivery with the real delivery code, in-process, the way a worker would; repeat until
    nothing is due at ``now``. Returns the statuses after each attempt."""
    from webapp.services import webhook_delivery

    def run(now: datetime | None = None) -> list[str | None]:
        outcomes: list[str | None] = []
        with app.app_context():
            for _ in range(50):
                due = webhook_delivery.due_deliveries(now or utcnow())
                db.session.remove()
                if not due:
                    return outcomes
                for delivery_id in due:
                    outcomes.append(webhook_delivery.deliver(delivery_id, now))
                    db.session.remove()
        raise AssertionError("deliveries still due after 50 rounds")

    return run


def create_webhook(client, url: str, events: list[str] | None = None, **fields) -> dict:
    response = client.post("/api/v1/webhooks", json={"url": url, "events": events or ["*"], **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def submit(client, data: bytes = b"Webhooks tell other systems when a document is done.") -> dict:
    body, content_type = multipart_body({"file": (data, "note.txt")})
    response = client.post("/api/v1/jobs", data=body, content_type=content_type)
    assert response.status_code == 202, response.get_json()
    return response.get_json()
