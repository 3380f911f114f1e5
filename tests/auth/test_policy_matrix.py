"""Every route × every role (and anonymous), generated from the app's URL map and the policy table."""

from __future__ import annotations

import re

import pytest

from webapp.auth.policy import AUTHENTICATED, PUBLIC, ROLES, policy_of, role_allows

PLACEHOLDERS = {
    "job_id": "job_00000000000000000000000000",
    "ref": "pl_missing",
    "user_id": "usr_missing",
    "key_id": "key_missing",
    "fmt": "text",
    "event_id": "1",
    "webhook_id": "wh_missing",
    "delivery_id": "whd_missing",
    "filename": "css/docpipe.css",
    "page": "1",
    "n": "0",
}
ROLES_AND_ANON = (None, *ROLES)


def routes(app):
    """(endpoint, method, path) for every route except Flask's static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: PLACEHOLDERS[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path))
    # Sign-out last: it ends the session the other dashboard requests use.
    return sorted(found, key=lambda r: r[0] == "auth.logout")


def test_every_route_declares_a_policy(app):
    missing = [endpoint for endpoint, _, _ in routes(app) if policy_of(app.view_functions[endpoint]) is None]
    assert missing == []


def test_the_matrix(app, accounts):
    """GIVEN each route and each caller WHEN it is requested THEN the answer is 401/redirect-to-login for no
    identity, 403 for a role below the policy, and anything but those for an allowed caller."""
    clients = {role: accounts.client(role) for role in ROLES_AND_ANON}
    checked = 0
    failures = []
    for endpoint, method, path in routes(app):
        policy = policy_of(app.view_functions[endpoint])
        api = path.startswith("/api/")
        for role in ROLES_AND_ANON:
            response = clients[role].open(path, method=method)
            status = response.status_code
            to_login = status == 302 and "/login" in response.headers.get("Location", "")
            if policy == PUBLIC:
                # A public route may still say 401 about what was sent (a failed sign-in), never 403.
                ok = status != 403 and not to_login
            elif role is None:
                ok = status == 401 if api else to_login
            elif policy == AUTHENTICATED or role_allows(role, policy):
                # Signing out ends on the login page by design; anywhere else that redirect means "not signed in".
                ok = status not in (401, 403) and (not to_login or endpoint == "auth.logout")
            else:
                ok = status == 403
            checked += 1
            if not ok:
                failures.append(f"{method} {path} as {role or 'anonymous'} ({policy}): {status}")
    assert failures == [], "\n".join(failures)
    # Recorded in the issue note: the size of the matrix.
    print(f"role x route matrix: {checked} requests")
    assert checked >= 100


@pytest.mark.parametrize("path", ["/api/v1/jobs", "/api/v1/pipelines", "/api/v1/users/me"])
def test_api_refusals_are_problem_json_with_a_challenge(anon, path):
    response = anon.get(path)
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_api_does_not_accept_the_session_cookie(app, accounts):
    """GIVEN a browser signed in to the dashboard WHEN it calls the API with only its cookie THEN 401: the API
    takes tokens and keys only, so a cross-site request carrying the cookie can do nothing."""
    browser = accounts.client("admin")
    del browser.environ_base["HTTP_AUTHORIZATION"]
    assert browser.get("/jobs").status_code == 200
    assert browser.get("/api/v1/jobs").status_code == 401
