"""The webhooks pages, through the Flask test client: the secret shown once, edits, rotation, test events,
the delivery log with Redeliver, and the nav link for admins only."""

from __future__ import annotations

import html
import re

from standardwebhooks import Webhook

from tests.webhooks.receiver import Reply

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


def webhook_id_in(page: str) -> str:
    match = re.search(r'<tr id="webhook-(wh_[^"]+)">', page)
    assert match, "no webhook listed"
    return match.group(1)


def test_admins_see_the_nav_link_and_others_do_not(accounts):
    admin_page = accounts.client("admin").get("/jobs").get_data(as_text=True)
    assert 'href="/admin/webhooks"' in admin_page
    for role in ("viewer", "operator"):
        client = accounts.client(role)
        assert 'href="/admin/webhooks"' not in client.get("/jobs").get_data(as_text=True)
        assert client.get("/admin/webhooks").status_code == 403


def test_create_shows_the_secret_once_and_the_list_shows_the_state(client, receiver, deliver):
    """GIVEN the webhooks page WHEN an admin adds an endpoint THEN the answer shows its secret once (not
    cacheable), which verifies the deliveries; the list shows the endpoint and never the secret."""
    page = client.get("/admin/webhooks")
    assert page.status_code == 200 and "No webhooks yet." in page.get_data(as_text=True)
    created = client.post(
        "/admin/webhooks",
        data={"url": receiver.url(), "events": ["job.created", "webhook.test"], "description": "CRM", "enabled": "y"},
    )
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    text = created.get_data(as_text=True)
    assert "Copy it now: it will not be shown again." in text
    (secret,) = set(SECRET.findall(html.unescape(text)))
    listed = client.get("/admin/webhooks").get_data(as_text=True)
    assert SECRET.search(listed) is None and "Copy it now" not in listed
    assert receiver.url() in listed and "CRM" in listed and "job.created, webhook.test" in listed

    hook_id = webhook_id_in(listed)
    client.post(f"/admin/webhooks/{hook_id}/test", follow_redirects=True)
    deliver()
    (request,) = receiver.requests
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"


def test_a_bad_url_is_shown_next_to_the_field(client):
    response = client.post("/admin/webhooks", data={"url": "http://169.254.169.254/latest", "events": ["*"]})
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert 'id="url-errors"' in text and "169.254.169.254 is link-local" in text
    assert "whsec_" not in text
    missing = client.post("/admin/webhooks", data={"url": "https://hooks.example.com/x"})
    assert missing.status_code == 422 and 'id="events-errors"' in missing.get_data(as_text=True)


def test_edit_rotate_test_redeliver_and_delete(client, receiver, deliver):
    client.post("/admin/webhooks", data={"url": receiver.url(), "events": ["job.created"], "enabled": "y"})
    hook_id = webhook_id_in(client.get("/admin/webhooks").get_data(as_text=True))
    detail = f"/admin/webhooks/{hook_id}"
    page = client.get(detail).get_data(as_text=True)
    assert "Nothing sent yet" in page and "Send test event" in page

    saved = client.post(
        detail, data={"url": receiver.url("/v2"), "events": ["*"], "description": "moved"}, follow_redirects=True
    )
    text = saved.get_data(as_text=True)
    assert "The webhook was saved." in text
    assert "Disabled" in text and "disabled by an admin" in text, "an unticked Enabled box disables it"
    assert "No test event was sent" in client.post(f"{detail}/test", follow_redirects=True).get_data(as_text=True)
    client.post(detail, data={"url": receiver.url("/v2"), "events": ["*"], "description": "moved", "enabled": "y"})

    rotated = client.post(f"{detail}/rotate-secret")
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    (new_secret,) = set(SECRET.findall(html.unescape(rotated.get_data(as_text=True))))
    assert "Previous secret signs until" in rotated.get_data(as_text=True)
    assert SECRET.search(client.get(detail).get_data(as_text=True)) is None

    receiver.answer(Reply(500, b"<h1>upstream down</h1>"))
    tested = client.post(f"{detail}/test", follow_redirects=True).get_data(as_text=True)
    assert "A webhook.test event is on its way" in tested
    deliver()
    page = client.get(detail).get_data(as_text=True)
    assert "HTTP 500" in page and "&lt;h1&gt;upstream down&lt;/h1&gt;" in page
    assert '<span class="badge badge-pending">pending</span>' in page
    delivery_id = re.search(r'<tr id="delivery-(whd_[^"]+)">', page).group(1)
    redelivered = client.post(f"{detail}/deliveries/{delivery_id}/redeliver", follow_redirects=True)
    assert "will be sent again" in redelivered.get_data(as_text=True)
    deliver()
    page = client.get(detail).get_data(as_text=True)
    assert '<span class="badge badge-succeeded">succeeded</span>' in page and "HTTP 200" in page
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert Webhook(new_secret).verify(second.body, second.headers)

    deleted = client.post(f"{detail}/delete", follow_redirects=True)
    assert "was deleted with its delivery log" in deleted.get_data(as_text=True)
    assert client.get(detail).status_code == 404


def test_a_disabled_endpoint_shows_why(client, receiver, deliver):
    receiver.answer(Reply(410))
    client.post("/admin/webhooks", data={"url": receiver.url(), "events": ["*"], "enabled": "y"})
    hook_id = webhook_id_in(client.get("/admin/webhooks").get_data(as_text=True))
    client.post(f"/admin/webhooks/{hook_id}/test")
    deliver()
    listed = client.get("/admin/webhooks").get_data(as_text=True)
    assert '<span class="badge badge-disabled">disabled</span>' in listed
    assert "the receiver answered 410 Gone" in listed
    assert "the receiver answered 410 Gone" in client.get(f"/admin/webhooks/{hook_id}").get_data(as_text=True)
