"""The webhooks API: CRUD with field errors, the secret shown once and kept encrypted, audit events that
never carry it, and the paginated delivery log."""

from __future__ import annotations

import base64
import logging

import pytest
from sqlalchemy import select

from tests.webhooks.conftest import create_webhook, submit
from webapp.extensions import db
from webapp.models import AuditEvent, WebhookDelivery, WebhookEndpoint, WebhookMessage
from webapp.services import webhook_secrets


def audit_events(app, prefix: str = "webhook.") -> list[AuditEvent]:
    with app.app_context():
        rows = list(
            db.session.execute(
                select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)
            ).scalars()
        )
        db.session.expunge_all()
        return rows


def test_create_shows_the_secret_once_and_stores_it_encrypted(app, client, receiver, deliver, caplog, monkeypatch):
    # Alembic's fileConfig (the session's migration) disables loggers that existed before it ran.
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("webapp")]:
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.DEBUG, logger="webapp")
    response = client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url("/in?token=t0ps3cret"), "events": ["job.succeeded"], "description": "CRM"},
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    hook = response.get_json()
    assert response.headers["Location"] == f"/api/v1/webhooks/{hook['id']}"
    secret = hook["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    assert hook["events"] == ["job.succeeded"] and hook["enabled"] is True and hook["description"] == "CRM"
    assert hook["disabled_reason"] is None and hook["links"]["deliveries"].endswith("/deliveries")

    listed = client.get("/api/v1/webhooks").get_json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0] and "secret" not in client.get(f"/api/v1/webhooks/{hook['id']}").get_json()
    with app.app_context():
        row = db.session.get(WebhookEndpoint, hook["id"])
        stored = [row.secret_encrypted, str(row.previous_secret_encrypted)]
        assert webhook_secrets.decrypt(row.secret_encrypted, row.id) == secret
        db.session.remove()
    assert not any(secret[6:] in value or secret in value for value in stored)

    client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret")
    client.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert deliver() == ["succeeded"]
    assert "webhook delivery" in caplog.text
    (created, rotated, tested) = audit_events(app)
    assert (created.action, rotated.action) == ("webhook.created", "webhook.secret_rotated")
    assert created.details == {"url": receiver.url("/in?…"), "events": ["job.succeeded"], "enabled": True}
    assert tested.action == "webhook.tested"
    assert "whsec_" not in str(created.details) + str(rotated.details) + str(tested.details)
    assert "t0ps3cret" not in str(created.details)
    assert "whsec_" not in caplog.text and "t0ps3cret" not in caplog.text


def test_a_secret_is_bound_to_its_key_and_endpoint(app):
    with app.app_context():
        stored = webhook_secrets.encrypt("whsec_abc", "wh_one")
        assert webhook_secrets.decrypt(stored, "wh_one") == "whsec_abc"
        with pytest.raises(webhook_secrets.SecretUnavailable):
            webhook_secrets.decrypt(stored, "wh_two")
        app.config["SECRET_KEY"] = "another secret key entirely, rotated by the operator"
        with pytest.raises(webhook_secrets.SecretUnavailable):
            webhook_secrets.decrypt(stored, "wh_one")


def test_a_secret_that_cannot_be_decrypted_fails_the_attempt_and_says_why(app, client, receiver, deliver):
    hook = create_webhook(client, receiver.url(), ["*"])
    client.post(f"/api/v1/webhooks/{hook['id']}/test")
    app.config["SECRET_KEY"] = "a different secret key than the one that sealed it"
    assert deliver() == ["pending"]
    attempt = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"][0]["attempts"][0]
    assert attempt["error"].startswith("not sent: the endpoint's secret cannot be decrypted")
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["url", "events"]),
        ([], ["body"]),
        ({"url": "http://127.0.0.1/x", "events": []}, ["events"]),
        ({"url": "http://127.0.0.1/x", "events": "job.created"}, ["events"]),
        ({"url": "http://127.0.0.1/x", "events": ["job.created", "job.exploded"]}, ["events"]),
        ({"url": "http://127.0.0.1/x", "events": ["*", "job.created"]}, ["events"]),
        ({"url": "http://127.0.0.1/x", "events": ["*"], "enabled": "yes"}, ["enabled"]),
        ({"url": "http://127.0.0.1/x", "events": ["*"], "description": 7}, ["description"]),
        ({"url": "http://127.0.0.1/x", "events": ["*"], "description": "x" * 501}, ["description"]),
        ({"url": "http://127.0.0.1/x", "events": ["*"], "secret": "whsec_mine"}, ["secret"]),
        ({"url": "javascript:alert(1)", "events": ["*"]}, ["url"]),
        ({"url": 42, "events": ["*"]}, ["url"]),
        ({"url": "http://127.0.0.1/" + "x" * 2100, "events": ["*"]}, ["url"]),
    ],
)
def test_bad_input_is_a_422_naming_each_field(client, body, fields):
    response = client.post("/api/v1/webhooks", json=body)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert sorted(e["field"] for e in response.get_json()["errors"]) == sorted(fields)


def test_update_disable_enable_and_delete(app, client, receiver, work_queue, deliver):
    hook = create_webhook(client, receiver.url(), ["job.created"])
    response = client.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"events": ["job.created", "job.failed"], "description": "new"}
    )
    assert response.status_code == 200
    assert response.get_json()["events"] == ["job.created", "job.failed"]
    assert response.get_json()["description"] == "new"
    assert client.patch(f"/api/v1/webhooks/{hook['id']}", json={"url": "http://10.0.0.1/"}).status_code == 200
    bad = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"url": "http://169.254.169.254/", "enabled": 1})
    assert bad.status_code == 422 and {e["field"] for e in bad.get_json()["errors"]} == {"url", "enabled"}
    client.patch(f"/api/v1/webhooks/{hook['id']}", json={"url": receiver.url()})

    disabled = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"enabled": False}).get_json()
    assert disabled["enabled"] is False and disabled["disabled_reason"] == "disabled by an admin"
    submit(client)
    assert deliver() == []
    enabled = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"enabled": True}).get_json()
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None and enabled["disabled_at"] is None
    submit(client)
    assert deliver() == ["succeeded"]

    updates = [e for e in audit_events(app) if e.action == "webhook.updated"]
    assert [e.details["fields"] for e in updates] == [
        ["description", "events"],
        ["url"],
        ["url"],
        ["enabled"],
        ["enabled"],
    ]
    assert client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert client.get(f"/api/v1/webhooks/{hook['id']}").status_code == 404
    assert client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").status_code == 404
    with app.app_context():
        assert db.session.execute(select(WebhookDelivery)).first() is None
        assert db.session.execute(select(WebhookMessage)).first() is None
        db.session.remove()
    deleted = audit_events(app)[-1]
    assert deleted.action == "webhook.deleted" and deleted.resource_id == hook["id"]


def test_unknown_webhooks_and_deliveries_are_404(client, receiver):
    hook = create_webhook(client, receiver.url(), ["*"])
    other = create_webhook(client, receiver.url("/other"), ["*"])
    delivery = client.post(f"/api/v1/webhooks/{other['id']}/test").get_json()
    assert client.get("/api/v1/webhooks/wh_nope").status_code == 404
    assert client.patch("/api/v1/webhooks/wh_nope", json={}).status_code == 404
    assert client.post("/api/v1/webhooks/wh_nope/rotate-secret").status_code == 404
    # A delivery of another endpoint is not found through this one.
    path = f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}"
    assert client.get(path).status_code == 404
    assert client.post(f"{path}/redeliver").status_code == 404
    assert client.get(f"/api/v1/webhooks/{other['id']}/deliveries/{delivery['id']}").status_code == 200


def test_only_admins_manage_webhooks(accounts, receiver):
    for role in ("viewer", "operator"):
        caller = accounts.client(role)
        assert caller.get("/api/v1/webhooks").status_code == 403
        assert caller.post("/api/v1/webhooks", json={"url": receiver.url(), "events": ["*"]}).status_code == 403


def test_deliveries_are_listed_newest_first_in_pages(client, receiver, deliver):
    hook = create_webhook(client, receiver.url(), ["*"])
    sent = [client.post(f"/api/v1/webhooks/{hook['id']}/test").get_json()["id"] for _ in range(3)]
    deliver()
    first = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries?limit=2")
    page = first.get_json()
    assert [d["id"] for d in page["items"]] == sent[::-1][:2]
    assert page["next_cursor"] and 'rel="next"' in first.headers["Link"]
    rest = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries?limit=2&cursor={page['next_cursor']}").get_json()
    assert [d["id"] for d in rest["items"]] == sent[:1] and rest["next_cursor"] is None
    item = page["items"][0]
    assert set(item) >= {"id", "event_id", "event_type", "status", "attempts", "next_attempt_at"}
    assert item["event_type"] == "webhook.test" and item["status"] == "succeeded"
    assert set(item["attempts"][0]) >= {"at", "status_code", "duration_ms", "error"}
    assert client.get(f"/api/v1/webhooks/{hook['id']}/deliveries?status=failed").get_json()["items"] == []
    assert client.get(f"/api/v1/webhooks/{hook['id']}/deliveries?status=lost").status_code == 422
    assert client.get(f"/api/v1/webhooks/{hook['id']}/deliveries?cursor=%%%").status_code == 422
