"""Each recorded operation leaves the right event: actor, action, resource, outcome, ip and request id."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, multipart_body
from webapp.extensions import db
from webapp.models import AuditEvent


def events(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        rows = list(db.session.execute(query).scalars())
        db.session.expunge_all()
        return rows


def last(app, action: str) -> AuditEvent:
    found = events(app, action)
    assert found, f"no {action} event"
    return found[-1]


def submit(client, data: bytes = b"some text for the audit", request_id: str = "req-123"):
    body, content_type = multipart_body({"file": (data, "doc.txt")})
    return client.post(
        "/api/v1/jobs",
        data=body,
        content_type=content_type,
        headers={"X-Request-ID": request_id},
        environ_base={**client.environ_base, "REMOTE_ADDR": "203.0.113.7"},
    )


def test_job_operations_are_recorded_with_who_where_and_which_request(app, accounts, work_queue):
    operator = accounts.client("operator")
    response = submit(operator)
    assert response.headers["X-Request-ID"] == "req-123"
    job_id = response.get_json()["id"]
    created = last(app, "job.created")
    assert (created.actor_type, created.actor_name) == ("api_key", f"operator test key ({accounts.email('operator')})")
    assert (created.resource_type, created.resource_id, created.outcome) == ("job", job_id, "success")
    assert (created.ip, created.request_id) == ("203.0.113.7", "req-123")
    assert created.details["filename"] == "doc.txt" and created.details["pipeline"] == "default"

    operator.post(f"/api/v1/jobs/{job_id}/cancel")
    assert last(app, "job.cancelled").resource_id == job_id
    operator.post(f"/api/v1/jobs/{job_id}/retry")
    assert last(app, "job.retried").details == {"was": "cancelled"}
    work_queue()
    started, succeeded = last(app, "job.started"), last(app, "job.succeeded")
    assert started.actor_type == succeeded.actor_type == "system"
    assert succeeded.resource_id == job_id
    accounts.client("admin").delete(f"/api/v1/jobs/{job_id}")
    deleted = last(app, "job.deleted")
    assert deleted.actor_name.startswith("admin test key") and deleted.details["status"] == "succeeded"


def test_failed_job_is_recorded_as_an_error(app, client, work_queue):
    job_id = submit(client, b"").get_json()["id"]
    work_queue()
    failed = last(app, "job.failed")
    assert (failed.resource_id, failed.outcome) == (job_id, "error")
    assert failed.details["error"] == {"type": "empty_document", "stage": "ingest", "retryable": False}


def test_pipeline_user_and_key_operations(app, client):
    stages = [{"name": n} for n in ("ingest", "detect", "parse", "output")]
    pipeline = client.post("/api/v1/pipelines", json={"name": "audited", "stages": stages}).get_json()
    client.put(f"/api/v1/pipelines/{pipeline['id']}", json={"stages": stages})
    client.delete(f"/api/v1/pipelines/{pipeline['id']}")
    assert [
        e.details["version"]
        for e in events(app)
        if e.action in ("pipeline.created", "pipeline.updated") and e.resource_id == pipeline["id"]
    ] == [1, 2]
    assert last(app, "pipeline.deleted").resource_id == pipeline["id"]

    user = client.post(
        "/api/v1/users", json={"email": "aud@example.com", "password": "secret password 1", "role": "viewer"}
    ).get_json()
    client.patch(f"/api/v1/users/{user['id']}", json={"role": "operator", "password": "another secret 2"})
    updated = last(app, "user.updated")
    assert updated.details["fields"] == ["password", "role"] and updated.details["role"] == "operator"
    assert "another secret 2" not in str(updated.details)
    client.delete(f"/api/v1/users/{user['id']}")
    assert last(app, "user.deleted").details["email"] == "aud@example.com"

    key = client.post("/api/v1/api-keys", json={"name": "audited key"}).get_json()
    created = last(app, "api_key.created")
    assert created.details["prefix"] == key["prefix"] and key["key"] not in str(created.details)
    app.test_client().get("/api/v1/jobs", headers={"X-API-Key": key["key"]})
    app.test_client().get("/api/v1/jobs", headers={"X-API-Key": key["key"]})
    first_used = events(app, "api_key.first_used")
    assert [e.resource_id for e in first_used if e.resource_id == key["id"]] == [key["id"]]
    assert first_used[-1].actor_type == "api_key"
    client.delete(f"/api/v1/api-keys/{key['id']}")
    assert last(app, "api_key.revoked").resource_id == key["id"]


def test_sign_ins_tokens_and_denials(app, accounts, anon):
    accounts.ensure("viewer")
    anon.post("/login", data={"email": "viewer@example.com", "password": "wrong"})
    failed = last(app, "auth.login")
    assert failed.outcome == "denied" and failed.details == {"email": "viewer@example.com"}
    browser = app.test_client()
    browser.post("/login", data={"email": "viewer@example.com", "password": PASSWORD})
    ok = last(app, "auth.login")
    assert ok.outcome == "success" and ok.actor_name == "viewer@example.com"
    browser.post("/logout")
    assert last(app, "auth.logout").actor_name == "viewer@example.com"

    anon.post("/api/v1/auth/token", json={"email": "viewer@example.com", "password": PASSWORD})
    assert last(app, "auth.token_issued").outcome == "success"

    viewer = accounts.client("viewer")
    assert viewer.get("/api/v1/audit").status_code == 403
    denied = last(app, "auth.denied")
    assert denied.outcome == "denied" and denied.actor_type == "api_key"
    assert denied.details["status"] == 403 and denied.details["path"] == "/api/v1/audit"
    assert denied.details["permission"] == "audit:read"
    anon.get("/api/v1/jobs", headers={"Authorization": "Bearer dp_not_a_real_key"})
    unauth = last(app, "auth.denied")
    assert unauth.details["status"] == 401 and unauth.actor_type == "anonymous"


def test_a_rolled_back_change_leaves_no_event(app, client):
    """GIVEN a change that fails after its event was added WHEN the transaction rolls back THEN no event."""
    before = len(events(app))
    with app.test_request_context():
        from webapp.services import audit

        audit.record("pipeline.created", "pipeline", "pl_never")
        db.session.rollback()
    assert len(events(app)) == before
    # Through the API: a duplicate name fails (409) and records no pipeline.created.
    stages = [{"name": n} for n in ("ingest", "detect", "parse", "output")]
    client.post("/api/v1/pipelines", json={"name": "twice", "stages": stages})
    created = len(events(app, "pipeline.created"))
    assert client.post("/api/v1/pipelines", json={"name": "twice", "stages": stages}).status_code == 409
    assert len(events(app, "pipeline.created")) == created


def test_no_secrets_or_document_content_in_events(app, client, work_queue):
    secret_text = "TOP SECRET CONTENT 4711"
    submit(client, secret_text.encode())
    work_queue()
    key = client.post("/api/v1/api-keys", json={"name": "k"}).get_json()["key"]
    client.post("/api/v1/users", json={"email": "s@example.com", "password": "hunter2 hunter2", "role": "viewer"})
    app.test_client().post("/api/v1/auth/token", json={"email": "s@example.com", "password": "hunter2 hunter2"})
    dump = " ".join(str((e.details, e.actor_name)) for e in events(app))
    for secret in (secret_text, key, "hunter2", PASSWORD):
        assert secret not in dump


@pytest.mark.parametrize(
    "query,expected",
    [("action=job.", {"job.created"}), ("action=job.created", {"job.created"}), ("outcome=denied", {"auth.denied"})],
)
def test_query_api_filters(app, client, anon, query, expected):
    submit(client)
    anon.get("/api/v1/jobs")
    items = client.get(f"/api/v1/audit?{query}").get_json()["items"]
    assert items and {item["action"] for item in items} == expected


def test_query_api_actor_resource_time_and_pagination(app, client, accounts):
    job_id = submit(client).get_json()["id"]
    admin_id = accounts.ids["admin"]
    admin_key_events = client.get(f"/api/v1/audit?resource_type=job&resource_id={job_id}").get_json()["items"]
    assert [e["action"] for e in admin_key_events] == ["job.created"]
    by_actor = client.get("/api/v1/audit?actor=admin@example.com").get_json()["items"]
    assert by_actor and all(
        e["actor"]["name"] == "admin@example.com" or e["actor"]["name"].endswith("(admin@example.com)")
        for e in by_actor
    )
    assert admin_id
    first = client.get("/api/v1/audit?limit=2").get_json()
    second = client.get(f"/api/v1/audit?limit=2&cursor={first['next_cursor']}").get_json()
    assert int(first["items"][-1]["id"]) > int(second["items"][0]["id"])
    later = client.get("/api/v1/audit?since=2999-01-01T00:00:00Z").get_json()["items"]
    assert later == []
    bad = client.get("/api/v1/audit?since=yesterday")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "since"


def test_exports(app, client):
    submit(client)
    csv_export = client.get("/api/v1/audit?format=csv&action=job.")
    assert csv_export.mimetype == "text/csv"
    lines = csv_export.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("id,at,actor_type") and "job.created" in lines[1]
    assert "attachment" in csv_export.headers["Content-Disposition"]
    jsonl = client.get("/api/v1/audit?format=jsonl").get_data(as_text=True).strip().splitlines()
    ids = [int(json.loads(line)["id"]) for line in jsonl]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == len(events(app))


def test_the_actor_filter_finds_a_users_api_key_actions_too(app, accounts):
    """GIVEN an operator who acts through an API key WHEN filtering by their e-mail THEN those events show."""
    submit(accounts.client("operator"))
    admin = accounts.client("admin")
    items = admin.get("/api/v1/audit?actor=operator@example.com&action=job.created").get_json()["items"]
    assert len(items) == 1 and items[0]["actor"]["type"] == "api_key"
