"""Security headers, cookies and the production configuration check."""

from __future__ import annotations

import pytest

from config import ProductionConfig, TestConfig


@pytest.mark.parametrize("path", ["/livez", "/login", "/api/v1/jobs", "/jobs"])
def test_security_headers_on_every_response(anon, path):
    headers = anon.get(path).headers
    csp = headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers


def test_https_deployments_get_hsts_and_host_prefixed_secure_cookies(make_app, accounts):
    app = make_app(HTTPS=True)
    from tests.conftest import PASSWORD, Accounts

    Accounts(app).ensure("viewer")
    client = app.test_client()
    response = client.post(
        "/login", data={"email": "viewer@example.com", "password": PASSWORD}, base_url="https://localhost"
    )
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-docpipe_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie


@pytest.mark.parametrize("secret", [None, "", "short", TestConfig.SECRET_KEY, "a" * 40])
def test_production_refuses_weak_secrets(secret):
    with pytest.raises(RuntimeError, match="DOCPIPE_SECRET_KEY"):
        ProductionConfig.check({"SECRET_KEY": secret})


def test_production_accepts_a_real_secret():
    ProductionConfig.check({"SECRET_KEY": "k3J9-xQ2v_Lm8Pz4rT7wYb1Nc6Hd0Fs5Ae2Gu9Ik"})


@pytest.mark.parametrize(
    "url,safe",
    [
        ("redis://127.0.0.1:6379/0", True),
        ("redis://localhost:6379/0", True),
        ("redis://:s3cret@redis.internal:6379/0", True),
        ("rediss://user:s3cret@redis.example.com:6380/0", True),
        ("unix:///run/redis.sock", True),
        ("redis://redis.internal:6379/0", False),
        ("redis://10.0.0.5:6379", False),
    ],
)
def test_production_refuses_an_unauthenticated_remote_redis(url, safe):
    config = {"SECRET_KEY": "k3J9-xQ2v_Lm8Pz4rT7wYb1Nc6Hd0Fs5Ae2Gu9Ik", "REDIS_URL": url}
    if safe:
        ProductionConfig.check(config)
    else:
        with pytest.raises(RuntimeError, match="DOCPIPE_REDIS_URL"):
            ProductionConfig.check(config)


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/login", {"email": "admin\x00@example.com", "password": "x"}),
        ("get", "/jobs?label=team%3Dx%00y", None),
        ("get", "/admin/audit?actor=a%00b", None),
    ],
)
def test_nul_characters_in_dashboard_input_are_a_400_not_a_database_error(client, method, path, data):
    """GIVEN PostgreSQL, which cannot store U+0000 WHEN a form field or query value holds one THEN a friendly 400
    naming the field, never a 500 from the database."""
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 400
    assert "NUL character" in response.text
