"""The API keys page and the users page, through the Flask test client."""

from __future__ import annotations

import re

import pytest

from tests.dashboard.helpers import sign_in
from webapp.extensions import db
from webapp.services import api_keys, users

API_KEY = re.compile(r"dp_[0-9A-Za-z]{49}")


def me(app, key: str):
    """GET /api/v1/users/me from a fresh anonymous client presenting ``key``."""
    return app.test_client().get("/api/v1/users/me", headers={"Authorization": f"Bearer {key}"})


def key_id_in(html: str, name: str) -> str:
    match = re.search(
        r'<tr id="key-([^"]+)">\s*<td data-label="Name" class="strong">' + re.escape(name) + "</td>", html
    )
    assert match, f"no key named {name!r} listed"
    return match.group(1)


def user_id_of(app, email: str) -> str:
    with app.app_context():
        user_id = users.find_by_email(email).id
        db.session.remove()
    return user_id


# --- API keys page ----------------------------------------------------------------------------------------


def test_api_key_is_shown_once_works_and_stops_working_when_revoked(app, accounts):
    """GIVEN an operator on the API keys page
    WHEN they create a key limited to the viewer role
    THEN the answer shows the key once (not cacheable), the list never shows it again, the key works
    against the API with the narrower role, and after a revoke it is refused with 401."""
    operator = accounts.client("operator")
    form = operator.get("/settings/api-keys").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="([^"]*)"', form)
    assert options == ["", "operator", "viewer"], "no role above the user's own is offered"

    created = operator.post(
        "/settings/api-keys", data={"name": "nightly import", "role": "viewer", "expires_in_days": "30"}
    )
    assert created.status_code == 201
    assert "no-store" in created.headers["Cache-Control"]
    html = created.get_data(as_text=True)
    assert "Copy it now: it will not be shown again." in html
    (key,) = set(API_KEY.findall(html))
    assert key not in created.headers.get("Location", "") and key not in str(created.headers)

    listed = operator.get("/settings/api-keys").get_data(as_text=True)
    assert API_KEY.search(listed) is None, "the list never shows a key"
    assert f"<code>{key[:11]}…</code>" in listed
    assert "Copy it now" not in listed

    answer = me(app, key)
    assert answer.status_code == 200
    assert answer.get_json()["email"] == accounts.email("operator")
    assert answer.get_json()["effective_role"] == "viewer"

    key_id = key_id_in(listed, "nightly import")
    revoked = operator.post(f"/settings/api-keys/{key_id}/revoke", follow_redirects=True)
    assert revoked.status_code == 200
    page = revoked.get_data(as_text=True)
    assert "was revoked: it no longer works." in page
    assert '<span class="badge badge-revoked">revoked</span>' in page
    assert f"/settings/api-keys/{key_id}/revoke" not in page

    assert me(app, key).status_code == 401


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "role": ""}, "Give the key a name."),
        ({"name": "k", "role": "admin"}, "Not a valid choice"),
        ({"name": "k", "role": "", "expires_in_days": "0"}, "Enter a number of days from 1 to 3650."),
        ({"name": "k", "role": "", "expires_in_days": "soon"}, "Not a valid integer value"),
    ],
)
def test_api_key_form_errors_are_shown_next_to_their_fields(accounts, data, message):
    operator = accounts.client("operator")
    response = operator.post("/settings/api-keys", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="field-errors"' in html
    assert API_KEY.search(html) is None


def test_keys_are_private_except_to_admins(app, accounts):
    viewer, admin = accounts.client("viewer"), accounts.client("admin")
    viewer_page = viewer.get("/settings/api-keys").get_data(as_text=True)
    assert "viewer test key" in viewer_page and "admin test key" not in viewer_page
    assert '<h2 id="keys-heading">Your keys</h2>' in viewer_page

    admin_page = admin.get("/settings/api-keys").get_data(as_text=True)
    assert '<h2 id="keys-heading">All keys</h2>' in admin_page
    assert '<td data-label="Owner">viewer@example.com</td>' in admin_page
    viewer_key = key_id_in(admin_page, "viewer test key")
    admin_key = key_id_in(admin_page, "admin test key")

    assert viewer.post(f"/settings/api-keys/{admin_key}/revoke").status_code == 404
    assert me(app, accounts.ensure("admin")).status_code == 200
    assert admin.post(f"/settings/api-keys/{viewer_key}/revoke").status_code == 302
    assert me(app, accounts.ensure("viewer")).status_code == 401


# --- users page -------------------------------------------------------------------------------------------


def test_admin_creates_promotes_and_disables_a_user(app, accounts, client):
    """GIVEN an admin on the users page
    WHEN they create a viewer, make them an operator, then disable them
    THEN the role applies at once, and disabling refuses the user's API key (401) and ends their session."""
    page = client.get("/admin/users").get_data(as_text=True)
    assert "<h1>Users</h1>" in page and 'aria-current="page">Users</a>' in page

    created = client.post(
        "/admin/users", data={"email": "New.Person@example.com", "password": "long enough pw", "role": "viewer"}
    )
    assert created.status_code == 302
    listed = client.get("/admin/users").get_data(as_text=True)
    assert "Created new.person@example.com with the viewer role." in listed
    user_id = user_id_of(app, "new.person@example.com")
    assert f'<tr id="user-{user_id}">' in listed

    person = app.test_client()
    assert sign_in(person, "new.person@example.com", "long enough pw").status_code == 302
    assert 'href="/upload"' not in person.get("/jobs").get_data(as_text=True)
    with app.app_context():
        key = api_keys.create_key(users.get_user(user_id), "their script")[1]
        db.session.remove()
    assert me(app, key).get_json()["role"] == "viewer"

    promoted = client.post(f"/admin/users/{user_id}/role", data={"role": "operator"}, follow_redirects=True)
    assert "new.person@example.com now has the operator role." in promoted.get_data(as_text=True)
    assert me(app, key).get_json()["role"] == "operator"
    assert 'href="/upload"' in person.get("/jobs").get_data(as_text=True), "the session sees the new role at once"

    disabled = client.post(f"/admin/users/{user_id}/disable", follow_redirects=True).get_data(as_text=True)
    assert "new.person@example.com is disabled" in disabled
    assert '<span class="badge badge-disabled">disabled</span>' in disabled
    assert me(app, key).status_code == 401
    ended = person.get("/jobs")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")
    assert sign_in(app.test_client(), "new.person@example.com", "long enough pw").status_code == 401

    enabled = client.post(f"/admin/users/{user_id}/enable", follow_redirects=True).get_data(as_text=True)
    assert "new.person@example.com is enabled again" in enabled
    assert sign_in(app.test_client(), "new.person@example.com", "long enough pw").status_code == 302


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"email": "admin@example.com", "password": "long enough pw", "role": "viewer"}, 409, "already exists"),
        ({"email": "short@example.com", "password": "short", "role": "viewer"}, 422, "at least 8 characters"),
        ({"email": "not-an-address", "password": "long enough pw", "role": "viewer"}, 422, "must be an e-mail address"),
        ({"email": "x@example.com", "password": "long enough pw", "role": "root"}, 422, "Not a valid choice"),
    ],
)
def test_create_user_errors_are_shown_next_to_their_fields(client, data, status, message):
    response = client.post("/admin/users", data=data)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html and 'class="field-errors"' in html


def test_an_admin_cannot_demote_or_disable_themselves(accounts, client):
    admin_id = accounts.ids["admin"]
    page = client.get("/admin/users").get_data(as_text=True)
    own_row = re.search(rf'<tr id="user-{admin_id}">.*?</tr>', page, re.S).group(0)
    assert '<span class="badge">you</span>' in own_row
    assert "<select" not in own_row and "Disable" not in own_row, "no control that would be refused"

    demoted = client.post(f"/admin/users/{admin_id}/role", data={"role": "viewer"}, follow_redirects=True)
    assert "admin@example.com was not changed: admins cannot demote or disable themselves." in demoted.get_data(
        as_text=True
    )
    disabled = client.post(f"/admin/users/{admin_id}/disable", follow_redirects=True)
    assert "admins cannot demote or disable themselves" in disabled.get_data(as_text=True)
    assert 'aria-current="page">Users</a>' in client.get("/admin/users").get_data(as_text=True), "still an admin"


def test_an_unknown_role_is_refused_with_a_message(accounts, client):
    accounts.ensure("viewer")
    response = client.post(f"/admin/users/{accounts.ids['viewer']}/role", data={"role": "root"}, follow_redirects=True)
    assert "viewer@example.com was not changed: must be one of viewer, operator, admin." in response.get_data(
        as_text=True
    )
