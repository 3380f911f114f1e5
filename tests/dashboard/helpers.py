"""Signing in the way a person does: through the login form, with the CSRF token the page carries."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD, Accounts

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, next_path: str | None = None):
    """POST the login form as a browser would: with the page's CSRF token when the app asks for one."""
    path = "/login" if next_path is None else f"/login?next={next_path}"
    page = client.get(path).get_data(as_text=True)
    data = {"email": email, "password": password}
    match = CSRF_FIELD.search(page)
    if match:
        data["csrf_token"] = match.group(1)
    return client.post(path, data=data)


def signed_in_client(app, accounts: Accounts, role: str):
    """A test client of ``app`` signed in to the dashboard as ``role`` through the real login form (no API key
    header), for apps a test builds itself, e.g. with CSRF protection on. ``accounts`` may belong to another
    app on the same database (the ``accounts`` fixture)."""
    accounts.ensure(role)
    client = app.test_client()
    response = sign_in(client, accounts.email(role))
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def sign_in_browser(page, base_url: str, accounts: Accounts, role: str) -> None:
    """Sign in as the ``role`` user (created on first use) through the real login page."""
    accounts.ensure(role)
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail").fill(accounts.email(role))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/jobs")
