"""API keys and users through the API; secrets never stored in the clear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import PASSWORD
from webapp.extensions import db
from webapp.models import ApiKey, User
from webapp.services import api_keys
from webapp.timeutil import utcnow


def test_create_key_shown_once_then_only_its_prefix(client, anon):
    created = client.post("/api/v1/api-keys", json={"name": "ci uploader", "role": "operator"})
    assert created.status_code == 201
    body = created.get_json()
    key = body["key"]
    assert key.startswith("dp_") and len(key) == 52 and api_keys.well_formed(key)
    assert body["prefix"] == key[:11] and body["effective_role"] == "operator"
    assert created.headers["Cache-Control"] == "no-store"
    listed = client.get("/api/v1/api-keys").get_json()["items"]
    assert key not in str(listed)
    assert {item["name"] for item in listed} >= {"ci uploader"}
    assert anon.get("/api/v1/users/me", headers={"X-API-Key": key}).get_json()["effective_role"] == "operator"


def test_a_key_is_checked_by_checksum_hash_revocation_and_expiry(app, client, anon):
    key = client.post("/api/v1/api-keys", json={"name": "short-lived"}).get_json()
    secret = key["key"]
    typo = secret[:-7] + ("a" if secret[-7] != "a" else "b") + secret[-6:]
    assert not api_keys.well_formed(typo)
    assert anon.get("/api/v1/users/me", headers={"X-API-Key": typo}).status_code == 401
    with app.app_context():
        db.session.execute(update(ApiKey).where(ApiKey.id == key["id"]).values(expires_at=utcnow() - timedelta(1)))
        db.session.commit()
    assert anon.get("/api/v1/users/me", headers={"X-API-Key": secret}).status_code == 401
    other = client.post("/api/v1/api-keys", json={"name": "to revoke"}).get_json()
    assert anon.get("/api/v1/users/me", headers={"X-API-Key": other["key"]}).status_code == 200
    assert client.delete(f"/api/v1/api-keys/{other['id']}").status_code == 204
    assert anon.get("/api/v1/users/me", headers={"X-API-Key": other["key"]}).status_code == 401


def test_a_key_cannot_exceed_its_owners_role_and_narrows_it(accounts):
    viewer = accounts.client("viewer")
    too_high = viewer.post("/api/v1/api-keys", json={"name": "sneaky", "role": "admin"})
    assert too_high.status_code == 422 and too_high.get_json()["errors"][0]["field"] == "role"
    operator = accounts.client("operator")
    narrow = operator.post("/api/v1/api-keys", json={"name": "read only", "role": "viewer"}).get_json()["key"]
    client = accounts.app.test_client()
    headers = {"Authorization": f"Bearer {narrow}"}
    assert client.get("/api/v1/jobs", headers=headers).status_code == 200
    assert client.post("/api/v1/pipelines", json={}, headers=headers).status_code == 403


def test_users_see_only_their_own_keys_and_admins_see_all(accounts):
    accounts.client("viewer").post("/api/v1/api-keys", json={"name": "mine"})
    operator_view = accounts.client("operator").get("/api/v1/api-keys").get_json()["items"]
    assert "mine" not in {item["name"] for item in operator_view}
    admin_view = accounts.client("admin").get("/api/v1/api-keys").get_json()["items"]
    assert "mine" in {item["name"] for item in admin_view}
    mine = next(item for item in admin_view if item["name"] == "mine")
    assert accounts.client("operator").delete(f"/api/v1/api-keys/{mine['id']}").status_code == 404


def test_last_used_is_written_at_most_once_a_minute(app, client, anon):
    key = client.post("/api/v1/api-keys", json={"name": "busy"}).get_json()
    for _ in range(3):
        anon.get("/api/v1/jobs", headers={"X-API-Key": key["key"]})
    with app.app_context():
        first = db.session.get(ApiKey, key["id"]).last_used_at
        assert first is not None
        db.session.execute(
            update(ApiKey).where(ApiKey.id == key["id"]).values(last_used_at=first - timedelta(minutes=2))
        )
        db.session.commit()
    anon.get("/api/v1/jobs", headers={"X-API-Key": key["key"]})
    with app.app_context():
        assert db.session.get(ApiKey, key["id"]).last_used_at > first - timedelta(seconds=1)


def test_users_api(client, accounts):
    created = client.post(
        "/api/v1/users", json={"email": "New@Example.com", "password": "long enough pw", "role": "viewer"}
    )
    assert created.status_code == 201
    user = created.get_json()
    assert user["email"] == "new@example.com" and user["role"] == "viewer" and user["active"] is True
    assert "password" not in str(user) and "hash" not in str(user)
    assert (
        client.post("/api/v1/users", json={"email": "new@example.com", "password": "long enough pw"}).status_code == 409
    )
    bad = client.post("/api/v1/users", json={"email": "nope", "password": "short", "role": "god"})
    assert bad.status_code == 422
    assert {error["field"] for error in bad.get_json()["errors"]} == {"email", "password", "role"}
    promoted = client.patch(f"/api/v1/users/{user['id']}", json={"role": "operator"})
    assert promoted.get_json()["role"] == "operator"
    assert client.patch(f"/api/v1/users/{user['id']}", json={"colour": "blue"}).status_code == 422
    me = client.get("/api/v1/users/me").get_json()
    demote_self = client.patch(f"/api/v1/users/{me['id']}", json={"role": "viewer"})
    assert demote_self.status_code == 422
    assert client.delete(f"/api/v1/users/{me['id']}").status_code == 409
    assert client.delete(f"/api/v1/users/{user['id']}").status_code == 204
    assert client.patch(f"/api/v1/users/{user['id']}", json={"role": "viewer"}).status_code == 404
    assert len(client.get("/api/v1/users").get_json()["items"]) == 1


def test_password_hash_is_upgraded_at_sign_in_when_the_cost_changes(make_app, accounts):
    accounts.ensure("viewer")
    stronger = make_app(PASSWORD_TIME_COST=2)
    response = stronger.test_client().post(
        "/api/v1/auth/token", json={"email": "viewer@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    with stronger.app_context():
        stored = db.session.execute(select(User.password_hash).filter_by(email="viewer@example.com")).scalar_one()
    assert stored.startswith("$argon2id$") and ",t=2," in stored


def test_a_database_dump_holds_no_password_or_key(app, client):
    key = client.post("/api/v1/api-keys", json={"name": "secret keeper"}).get_json()["key"]
    password = "a very particular password 42"
    client.post("/api/v1/users", json={"email": "dump@example.com", "password": password, "role": "viewer"})
    with app.app_context():
        dump = []
        for table in db.metadata.sorted_tables:
            dump.extend(str(tuple(row)) for row in db.session.execute(table.select()))
    text = "\n".join(dump)
    assert "dump@example.com" in text  # the dump is real
    assert password not in text
    assert key not in text and key[11:] not in text and PASSWORD not in text


@pytest.fixture
def limited(make_app):
    app = make_app(LOGIN_RATE_LIMIT_ACCOUNT="3 per minute", LOGIN_RATE_LIMIT_IP="5 per minute")
    return app.test_client()


def test_token_requests_are_rate_limited_per_account_and_per_address(limited):
    for _ in range(3):
        assert limited.post("/api/v1/auth/token", json={"email": "a@example.com", "password": "x"}).status_code == 401
    blocked = limited.post("/api/v1/auth/token", json={"email": "a@example.com", "password": "x"})
    assert blocked.status_code == 429
    assert blocked.content_type == "application/problem+json"
    assert int(blocked.headers["Retry-After"]) > 0
    # Other accounts from the same address share its limit of 5 (the refused request did not count).
    for other in ("b", "c"):
        assert limited.post("/api/v1/auth/token", json={"email": f"{other}@x.org", "password": "x"}).status_code == 401
    assert limited.post("/api/v1/auth/token", json={"email": "d@x.org", "password": "x"}).status_code == 429


def test_dashboard_sign_in_is_rate_limited_too(limited):
    for _ in range(3):
        limited.post("/login", data={"email": "a@example.com", "password": "x"})
    assert limited.post("/login", data={"email": "a@example.com", "password": "x"}).status_code == 429
