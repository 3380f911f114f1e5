"""Signing in and out, and what each role sees, through the Flask test client."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.dashboard.helpers import sign_in
from webapp.extensions import db
from webapp.models import UserSession
from webapp.services import jobs, users

COOKIE = "docpipe_session"
GENERIC_ERROR = "Invalid e-mail or password."


def session_cookie(client) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie.value


# --- signing in and out -----------------------------------------------------------------------------------


def test_login_page_renders_without_navigation(anon):
    response = anon.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Sign in</h1>" in html
    assert 'type="email"' in html and 'autocomplete="username"' in html
    assert 'type="password"' in html and 'autocomplete="current-password"' in html
    assert 'aria-label="Main"' not in html and "Sign out" not in html


def test_dashboard_pages_send_the_anonymous_to_the_login_page(anon):
    response = anon.get("/jobs?status=failed")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/jobs?status%3Dfailed"


def test_wrong_password_and_unknown_email_get_the_same_generic_401(accounts, anon):
    accounts.ensure("viewer")
    wrong = anon.post("/login", data={"email": accounts.email("viewer"), "password": "not the password"})
    unknown = anon.post("/login", data={"email": "nobody@example.com", "password": PASSWORD})
    messages = []
    for response in (wrong, unknown):
        assert response.status_code == 401
        messages.append(
            re.findall(r'<p class="flash flash-error" role="alert">([^<]*)</p>', response.get_data(as_text=True))
        )
    assert messages[0] == messages[1] == [GENERIC_ERROR], "the message must not say which part was wrong"
    assert anon.get("/jobs").headers["Location"].startswith("/login")


def test_disabled_user_gets_the_same_generic_401(app, accounts, anon):
    accounts.ensure("viewer")
    with app.app_context():
        users.update_user(users.get_user(accounts.ids["viewer"]), {"active": False}, None)
        db.session.remove()
    response = anon.post("/login", data={"email": accounts.email("viewer"), "password": PASSWORD})
    assert response.status_code == 401
    assert GENERIC_ERROR in response.get_data(as_text=True)


def test_login_sets_an_httponly_samesite_lax_cookie(accounts, anon):
    accounts.ensure("viewer")
    response = anon.post("/login", data={"email": accounts.email("viewer"), "password": PASSWORD})
    assert response.status_code == 302
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{COOKIE}=")]
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert not any(a.startswith("expires=") or a.startswith("max-age=") for a in attributes), "a browser-session cookie"


def test_signing_in_rotates_the_session(make_app, accounts):
    """GIVEN a browser that already holds a session cookie (the login form's CSRF token lives in it)
    WHEN it signs in
    THEN it gets a different cookie naming a new server-side session, and nothing of the old session is kept."""
    app = make_app(WTF_CSRF_ENABLED=True)
    accounts.ensure("viewer")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    before = session_cookie(client)

    response = sign_in(client, accounts.email("viewer"))
    assert response.status_code == 302
    assert "csrf_token" in page
    after = session_cookie(client)

    assert after != before
    serializer = app.session_interface.get_signing_serializer(app)
    old, new = serializer.loads(before), serializer.loads(after)
    assert "_user_id" not in old and "csrf_token" in old
    assert new.get("csrf_token") != old["csrf_token"]
    with app.app_context():
        row = db.session.get(UserSession, new["_user_id"])
        assert row is not None and row.user_id == accounts.ids["viewer"] and row.revoked_at is None
        db.session.remove()


def test_signing_in_again_gets_a_new_session_id(app, accounts):
    client = accounts.client("viewer")
    serializer = app.session_interface.get_signing_serializer(app)
    first = serializer.loads(session_cookie(client))["_user_id"]
    client.post("/logout")
    assert sign_in(client, accounts.email("viewer")).status_code == 302
    second = serializer.loads(session_cookie(client))["_user_id"]
    assert first != second


def test_logout_ends_the_session_on_the_server(app, accounts):
    """GIVEN a signed-in browser and a copy of its session cookie
    WHEN the browser signs out and the copy is replayed
    THEN the copy is sent to the login page: the session is over on the server, not just in one browser."""
    client = accounts.client("viewer")
    stolen = session_cookie(client)
    assert client.get("/jobs").status_code == 200

    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "You are signed out." in client.get("/login").get_data(as_text=True)

    replay = app.test_client()
    replay.set_cookie(COOKIE, stolen)
    refused = replay.get("/jobs")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/login")


def test_logout_is_post_only(accounts):
    client = accounts.client("viewer")
    assert client.get("/logout").status_code == 405
    assert client.get("/jobs").status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "https:/evil.example"]
)
def test_login_refuses_to_redirect_off_site(accounts, anon, target):
    accounts.ensure("viewer")
    response = anon.post(
        "/login", query_string={"next": target}, data={"email": accounts.email("viewer"), "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/jobs" or not urlsplit(location.replace("\\", "/")).netloc
    assert "evil.example" not in urlsplit(location.replace("\\", "/")).netloc
    if target.startswith(("https:", "//")):
        assert location == "/jobs"


def test_login_follows_a_same_site_next(accounts, anon):
    accounts.ensure("viewer")
    response = anon.post("/login?next=/pipelines", data={"email": accounts.email("viewer"), "password": PASSWORD})
    assert response.headers["Location"] == "/pipelines"


# --- what each role sees ----------------------------------------------------------------------------------


@pytest.fixture
def failed_job(app, work_queue) -> str:
    """A job that failed for real: an empty file run through the worker code."""
    with app.app_context():
        job_id = jobs.submit_job(io.BytesIO(b""), "empty.txt", "default").id
        db.session.remove()
    work_queue()
    return job_id


@pytest.fixture
def queued_job(app) -> str:
    with app.app_context():
        job_id = jobs.submit_job(io.BytesIO(b"Some text.\n"), "waiting.txt", "default").id
        db.session.remove()
    return job_id


def test_a_viewer_may_not_open_the_upload_page(accounts):
    response = accounts.client("viewer").get("/upload")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Error 403" in html and "Back to the jobs list" in html
    assert '<form class="upload-form' not in html


def test_a_viewer_sees_no_upload_control(accounts):
    viewer = accounts.client("viewer")
    empty = viewer.get("/jobs").get_data(as_text=True)
    assert "Upload documents" not in empty and 'href="/upload"' not in empty
    assert 'href="/settings/api-keys"' in empty
    assert 'href="/admin/users"' not in empty


def test_a_viewer_sees_no_retry_or_cancel(accounts, failed_job, queued_job):
    viewer = accounts.client("viewer")
    listed = viewer.get("/jobs").get_data(as_text=True)
    assert "empty.txt" in listed and "Upload documents" not in listed and 'href="/upload"' not in listed

    failed = viewer.get(f"/jobs/{failed_job}").get_data(as_text=True)
    assert '<span class="badge badge-failed">failed</span>' in failed
    assert "Retry job" not in failed and "/retry" not in failed
    queued = viewer.get(f"/jobs/{queued_job}").get_data(as_text=True)
    assert '<span class="badge badge-queued">queued</span>' in queued
    assert "Cancel job" not in queued and "/cancel" not in queued

    assert viewer.post(f"/jobs/{failed_job}/retry").status_code == 403
    assert viewer.post(f"/jobs/{queued_job}/cancel").status_code == 403


def test_an_operator_sees_retry_but_no_users_page(accounts, failed_job):
    operator = accounts.client("operator")
    assert "Retry job" in operator.get(f"/jobs/{failed_job}").get_data(as_text=True)
    page = operator.get("/jobs").get_data(as_text=True)
    assert 'href="/upload"' in page and 'href="/admin/users"' not in page
    assert operator.get("/admin/users").status_code == 403
