"""The audit log page, one event's page and the exports, through the Flask test client. Every event comes from a
real operation: sign-ins, uploads through the dashboard and the API, the worker code, refused requests."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import ROOT, multipart_body
from webapp.dashboard.audit import ACTIONS
from webapp.extensions import db
from webapp.models import AuditEvent
from webapp.timeutil import isoformat, utcnow

ROW = re.compile(r'<tr id="event-(\d+)">(.*?)</tr>', re.S)
ACTION_CELL = re.compile(r'<td data-label="Action"><code>([^<]+)</code></td>')


def events(app, **where) -> list[AuditEvent]:
    """Every stored event, oldest first, optionally only those whose columns equal ``where``."""
    with app.app_context():
        rows = list(db.session.execute(select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)).scalars())
        db.session.expunge_all()
    return rows


def listed(response) -> list[tuple[int, str]]:
    """(event id, action) of each row on an audit page, top to bottom."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(int(event_id), ACTION_CELL.search(row).group(1)) for event_id, row in ROW.findall(response.text)]


def upload(client, name: str, content: bytes = b"Minutes of the harbour committee.\n") -> None:
    data = {"files": [(io.BytesIO(content), name)], "pipeline": "default"}
    assert client.post("/upload", data=data, content_type="multipart/form-data").status_code == 302


def submit_by_api(client, name: str) -> str:
    body, content_type = multipart_body({"file": (b"Submitted by a script.\n", name)})
    response = client.post("/api/v1/jobs", data=body, content_type=content_type)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["id"]


def job_id_of(app, filename: str) -> str:
    (created,) = [e for e in events(app, action="job.created") if e.details["filename"] == filename]
    return created.resource_id


@pytest.fixture
def activity(app, client, accounts, anon, work_queue) -> dict[str, str]:
    """GIVEN an admin who uploads two files through the dashboard (one of them empty, so its job fails), an operator
    whose script submits one through the API, the worker code running all three, and an anonymous request refused."""
    upload(client, "minutes.txt")
    upload(client, "empty.txt", b"")
    operator = accounts.client("operator")
    submit_by_api(operator, "script.txt")
    work_queue()
    assert anon.get("/api/v1/jobs").status_code == 401
    return {
        "minutes": job_id_of(app, "minutes.txt"),
        "empty": job_id_of(app, "empty.txt"),
        "script": job_id_of(app, "script.txt"),
    }


def test_admin_sees_the_events_of_real_operations(app, client, activity):
    response = client.get("/admin/audit")
    rows = listed(response)
    stored = events(app)
    assert [event_id for event_id, _ in rows] == [e.id for e in reversed(stored)], "every event, newest first"
    assert {"auth.login", "job.created", "job.started", "job.succeeded", "job.failed", "auth.denied"} <= {
        action for _, action in rows
    }
    page = response.text
    assert "<h1>Audit log</h1>" in page and 'aria-current="page">Audit</a>' in page
    assert f'href="/jobs/{activity["minutes"]}"><code>{activity["minutes"]}</code></a>' in page
    assert '<span class="badge badge-success">success</span>' in page
    assert '<span class="badge badge-error">error</span>' in page
    assert '<span class="badge badge-denied">denied</span>' in page
    assert "admin@example.com</a>" in page and '<span class="actor-type">user</span>' in page
    assert "operator test key (operator@example.com)</a>" in page and '<span class="actor-type">api_key</span>' in page
    created = events(app, action="job.created")[0]
    assert (
        f'<code class="request-id" title="{created.request_id}">{created.request_id[:8]}…</code>' in page
        and f"<code>{created.ip}</code>" in page
    )
    assert f'href="/admin/audit/{created.id}"' in page
    assert 'type="datetime-local"' in page and "Since (UTC)" in page and "Times are UTC." in page
    assert '<option value="job."></option>' in page and '<option value="job.succeeded"></option>' in page
    assert "<script>" not in page and " style=" not in page, "no inline script or style"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_an_empty_log_and_an_empty_result_say_so(app, client):
    with app.app_context():
        db.session.execute(AuditEvent.__table__.delete())
        db.session.commit()
    assert "No events recorded yet." in client.get("/admin/audit").text
    nothing = client.get("/admin/audit?action=no.such.action")
    assert listed(nothing) == []
    assert "No events match these filters." in nothing.text and "Clear filters" in nothing.text


def test_filter_by_actor_as_email_or_id(app, client, accounts, activity):
    by_email = listed(client.get("/admin/audit?actor=admin@example.com"))
    assert by_email, "the admin did things"
    mine = {e.id for e in events(app) if e.actor_name == "admin@example.com"}
    assert {event_id for event_id, _ in by_email} == mine
    assert ("job.created" in {action for _, action in by_email}) and len(by_email) >= 3

    by_id = listed(client.get(f"/admin/audit?actor={accounts.ids['admin']}"))
    assert by_id == by_email

    key_events = [e for e in events(app) if e.actor_type == "api_key"]
    by_key = listed(client.get(f"/admin/audit?actor={key_events[0].actor_id}"))
    assert {event_id for event_id, _ in by_key} == {e.id for e in key_events}
    assert activity["script"] in client.get(f"/admin/audit?actor={key_events[0].actor_id}").text


def test_filter_by_action_prefix_and_exact_name(client, activity):
    prefixed = listed(client.get("/admin/audit?action=job."))
    assert prefixed and all(action.startswith("job.") for _, action in prefixed)
    assert {"job.created", "job.started", "job.succeeded", "job.failed"} <= {action for _, action in prefixed}
    exact = listed(client.get("/admin/audit?action=job.created"))
    assert [action for _, action in exact] == ["job.created"] * 3


def test_filter_by_resource_and_outcome(app, client, activity):
    history = listed(client.get(f"/admin/audit?resource_type=job&resource_id={activity['minutes']}"))
    assert [action for _, action in history] == ["job.succeeded", "job.started", "job.created"]

    errors = listed(client.get("/admin/audit?outcome=error"))
    failed = events(app, action="job.failed")
    assert [event_id for event_id, _ in errors] == [failed[0].id]
    assert failed[0].resource_id == activity["empty"]

    denied = listed(client.get("/admin/audit?outcome=denied&action=auth."))
    assert {action for _, action in denied} == {"auth.denied"}

    bad = client.get("/admin/audit?outcome=maybe")
    assert bad.status_code == 422
    errors = '<ul class="field-errors" id="filter-outcome-errors"><li>must be one of success, denied, error</li>'
    assert errors in bad.text


def test_since_and_until_cut_at_the_times_of_real_events(app, client, activity):
    """GIVEN the events of real operations WHEN filtered at the exact time of one of them THEN since keeps it and
    everything later, until keeps only what came before; a datetime-local value (no zone) is read as UTC."""
    stored = events(app)
    middle = stored[len(stored) // 2]
    at = isoformat(middle.at)

    since = listed(client.get("/admin/audit", query_string={"since": at}))
    assert {event_id for event_id, _ in since} == {e.id for e in stored if e.at >= middle.at}
    until = listed(client.get("/admin/audit", query_string={"until": at}))
    assert {event_id for event_id, _ in until} == {e.id for e in stored if e.at < middle.at}
    both = listed(client.get("/admin/audit", query_string={"since": isoformat(stored[1].at), "until": at}))
    assert {event_id for event_id, _ in both} == {e.id for e in stored if stored[1].at <= e.at < middle.at}

    minute = middle.at.replace(second=0, microsecond=0)
    after = minute + timedelta(minutes=1)
    local = {"since": minute.strftime("%Y-%m-%dT%H:%M"), "until": after.strftime("%Y-%m-%dT%H:%M")}
    response = client.get("/admin/audit", query_string=local)
    in_that_minute = {e.id for e in stored if minute <= e.at < after}
    assert middle.id in in_that_minute and {event_id for event_id, _ in listed(response)} == in_that_minute
    assert f'name="since" type="datetime-local" value="{local["since"]}"' in response.text

    bad = client.get("/admin/audit?since=yesterday")
    assert bad.status_code == 422 and 'id="filter-since-errors"' in bad.text and ROW.search(bad.text) is None


def test_quick_ranges_keep_the_other_filters(client, activity):
    page = client.get("/admin/audit?actor=admin@example.com&since=2000-01-01T00:00").text
    links = {label: html.unescape(href) for href, label in re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', page)}
    assert set(links) >= {"Last hour", "Last 24 hours", "Yesterday", "Last 7 days"}
    yesterday = parse_qs(urlsplit(links["Yesterday"]).query)
    assert yesterday["actor"] == ["admin@example.com"]
    since, until = datetime.fromisoformat(yesterday["since"][0]), datetime.fromisoformat(yesterday["until"][0])
    assert (since.time(), until - since) == (time(0, 0), timedelta(days=1))
    assert until.date() == utcnow().date()
    last_hour = parse_qs(urlsplit(links["Last hour"]).query)
    assert "until" not in last_hour and last_hour["actor"] == ["admin@example.com"]
    assert listed(client.get(links["Last 24 hours"])), "what the admin did just now is in the last 24 hours"
    assert listed(client.get(links["Yesterday"])) == []


def test_pages_of_events_follow_the_older_link_to_the_end(app, client, activity):
    seen: list[int] = []
    url = "/admin/audit?action=job.&limit=2"
    pages = 0
    while url:
        response = client.get(url)
        rows = listed(response)
        assert len(rows) <= 2
        seen += [event_id for event_id, _ in rows]
        if pages:
            assert '">← Newest</a>' in response.text
        older = re.search(r'<a href="([^"]+)" rel="next">Older', response.text)
        url = html.unescape(older.group(1)) if older else None
        if url:
            assert "action=job." in url and "limit=2" in url
        pages += 1
    assert pages >= 3
    assert seen == sorted({e.id for e in events(app) if e.action.startswith("job.")}, reverse=True)
    assert client.get("/admin/audit?cursor=%%%").status_code == 422


def test_event_page_shows_every_field_and_escapes_what_was_typed(app, client, anon):
    """GIVEN a failed sign-in whose e-mail is an HTML script WHEN an admin opens its event THEN it is shown as text."""
    hostile = "<script>alert(1)</script>@x"
    anon.post("/login", data={"email": hostile, "password": "nope"}, headers={"X-Request-ID": "req-hostile-1"})
    (event,) = [e for e in events(app, action="auth.login") if e.outcome == "denied"]

    response = client.get(f"/admin/audit/{event.id}")
    assert response.status_code == 200
    page = response.text
    assert hostile not in page and "<script>" not in page
    assert "&#34;email&#34;: &#34;&lt;script&gt;alert(1)&lt;/script&gt;@x&#34;" in page
    for value in (event.hash, event.prev_hash, "req-hostile-1", event.ip, isoformat(event.at), "anonymous"):
        assert value in page
    assert "The event’s content matches its hash." in page
    previous = events(app)[-2]
    assert f"The previous hash is event {previous.id}’s hash." in page
    assert f'href="/admin/audit/{previous.id}">← Previous event' in page
    assert "flask audit verify" in page

    listing = client.get("/admin/audit?action=auth.login").text
    assert "<script>alert" not in listing


def test_event_page_of_a_job_event_links_to_the_job_and_its_history(app, client, activity):
    (created,) = [e for e in events(app, action="job.created") if e.resource_id == activity["minutes"]]
    page = client.get(f"/admin/audit/{created.id}").text
    assert f'href="/jobs/{activity["minutes"]}"' in page
    assert f'href="/admin/audit?resource_type=job&amp;resource_id={activity["minutes"]}"' in page
    assert "&#34;filename&#34;: &#34;minutes.txt&#34;" in page


def test_unknown_event_is_a_friendly_404(client):
    response = client.get("/admin/audit/999999")
    assert response.status_code == 404
    assert "no audit event 999999" in response.text


def test_exports_hold_the_filtered_events_as_attachments(app, client, activity):
    page = client.get("/admin/audit?action=job.created").text
    assert 'href="/admin/audit/export.csv?action=job.created" download' in page
    assert 'href="/admin/audit/export.jsonl?action=job.created" download' in page
    expected = [e.id for e in reversed(events(app, action="job.created"))]

    exported = client.get("/admin/audit/export.csv?action=job.created")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"] == 'attachment; filename="audit.csv"'
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [int(row["id"]) for row in rows] == expected
    assert {row["action"] for row in rows} == {"job.created"}
    assert json.loads(rows[-1]["details"])["filename"] == "minutes.txt"

    lines = client.get("/admin/audit/export.jsonl?action=job.&outcome=error")
    assert lines.mimetype == "application/x-ndjson"
    assert lines.headers["Content-Disposition"] == 'attachment; filename="audit.jsonl"'
    items = [json.loads(line) for line in lines.text.splitlines()]
    assert [(item["action"], item["resource_id"]) for item in items] == [("job.failed", activity["empty"])]

    api = client.get("/api/v1/audit?format=csv&action=job.created")
    assert api.text == exported.text, "the API and the dashboard export the same bytes"
    assert client.get("/admin/audit/export.csv?since=soon").status_code == 422
    assert client.get("/admin/audit/export.xml").status_code == 404


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_other_roles_are_refused_every_audit_page_and_the_refusal_is_recorded(app, accounts, role):
    someone = accounts.client(role)
    assert 'href="/admin/audit"' not in someone.get("/jobs").text, "no Audit link in the navigation"
    event_id = events(app)[-1].id
    paths = ["/admin/audit", "/admin/audit?actor=admin@example.com", f"/admin/audit/{event_id}"]
    paths += ["/admin/audit/export.csv", "/admin/audit/export.jsonl"]
    for path in paths:
        response = someone.get(path)
        assert response.status_code == 403, path
        assert "Forbidden" in response.text and "audit:read" in response.text

    denied = [e for e in events(app, action="auth.denied") if e.actor_name == accounts.email(role)]
    assert [e.details["path"] for e in denied] == [path.split("?")[0] for path in paths]
    assert all(e.outcome == "denied" and e.details["permission"] == "audit:read" for e in denied)
    assert all(e.details["status"] == 403 and e.actor_type == "user" for e in denied)


def test_anonymous_visitors_are_sent_to_sign_in(anon):
    response = anon.get("/admin/audit")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/admin/audit"


def test_history_links_on_job_and_pipeline_pages_are_for_admins_only(app, client, accounts):
    upload(client, "minutes.txt")
    job_id = job_id_of(app, "minutes.txt")
    history = f'href="/admin/audit?resource_type=job&amp;resource_id={job_id}">History</a>'
    assert history in client.get(f"/jobs/{job_id}").text
    (pipeline,) = client.get("/api/v1/pipelines").get_json()["items"]
    pipeline_history = f'href="/admin/audit?resource_type=pipeline&amp;resource_id={pipeline["id"]}">History'
    assert pipeline_history in client.get("/pipelines").text

    for role in ("viewer", "operator"):
        someone = accounts.client(role)
        assert "/admin/audit" not in someone.get(f"/jobs/{job_id}").text
        assert "/admin/audit" not in someone.get("/pipelines").text


def test_the_action_list_names_every_action_the_app_records():
    """Every literal event name passed to audit.record / record_alone is offered in the form's action list."""
    recorded = set()
    for path in (ROOT / "webapp").rglob("*.py"):
        source = path.read_text()
        for match in re.finditer(r"(?:audit\.record|record_alone)\(\s*([^,]*),", source):
            recorded |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', match.group(1)))
    assert len(recorded) >= 15
    assert recorded - set(ACTIONS) == set()
