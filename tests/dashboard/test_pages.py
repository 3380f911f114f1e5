"""Dashboard pages through the Flask test client; queued jobs run with the real worker code in-process."""

from __future__ import annotations

import io
import re

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.dashboard.helpers import csrf_from, signed_in_client
from webapp.extensions import db
from webapp.services import jobs

TEXT = b"Quarterly report\n\nRevenue grew by nine percent in the third quarter.\n"


def upload(client, *files: tuple[bytes, str], **form):
    data = {"files": [(io.BytesIO(content), name) for content, name in files], "pipeline": "default", **form}
    return client.post("/upload", data=data, content_type="multipart/form-data")


def stored_jobs(app) -> list[dict]:
    with app.app_context():
        items, _ = jobs.list_jobs(jobs.JobFilters(), 100, None)
        found = [
            {"id": j.id, "filename": j.filename, "status": j.status, "priority": j.priority, "labels": j.labels}
            for j in items
        ]
        db.session.remove()
    return found


def listed_files(html: str) -> list[str]:
    """The file names in the jobs table, top to bottom."""
    return re.findall(r'<td data-label="File"><a href="/jobs/[^"]+">([^<]+)</a>', html)


def test_root_redirects_to_the_jobs_list(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/jobs"


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/jobs", "<h1>Jobs</h1>"),
        ("/upload", "<h1>Upload documents</h1>"),
        ("/pipelines", "<h1>Pipelines</h1>"),
        ("/settings/api-keys", "<h1>API keys</h1>"),
        ("/admin/users", "<h1>Users</h1>"),
    ],
)
def test_each_page_renders_with_layout_and_security_headers(client, path, heading):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert heading in html
    assert '<html lang="en">' in html
    assert 'aria-current="page"' in html
    assert "/static/vendor/htmx-2.0.11.min.js" in html
    assert '"includeIndicatorStyles": false' in html
    assert "<script>" not in html and " style=" not in html, "no inline script or style anywhere"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_upload_of_several_files_creates_one_job_each(app, client):
    """GIVEN an older job from another upload
    WHEN two files are uploaded with the plain form (no JavaScript)
    THEN both are created with the priority and labels, tied by one ``upload`` label, and the browser lands on
    the jobs list filtered to that upload: the two new jobs, not the older one."""
    upload(client, (TEXT, "older.txt"))
    response = upload(client, (TEXT, "report.txt"), (b"Second file.", "notes.txt"), priority="7", labels='{"batch": 3}')
    assert response.status_code == 302
    created = [job for job in stored_jobs(app) if job["filename"] != "older.txt"]
    batch = created[0]["labels"]["upload"]
    assert response.headers["Location"] == f"/jobs?label=upload%3D{batch}"

    listed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created 2 jobs: report.txt, notes.txt." in listed
    assert sorted(listed_files(listed)) == ["notes.txt", "report.txt"]
    assert all(job["status"] == "queued" and job["priority"] == 7 for job in created)
    assert all(job["labels"] == {"batch": 3, "upload": batch} for job in created)
    for job in created:
        assert f'href="/jobs/{job["id"]}"' in listed


def test_upload_without_priority_uses_the_pipeline_default(app, client):
    assert upload(client, (TEXT, "report.txt")).status_code == 302
    assert [job["priority"] for job in stored_jobs(app)] == [5]


def test_upload_errors_are_shown_next_to_their_fields(app, client):
    response = upload(client, (TEXT, "report.txt"), priority="12", labels="[1, 2]")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<ul class="field-errors" id="priority-errors">' in html
    assert "must be an integer from 0 to 9" in html
    assert '<ul class="field-errors" id="labels-errors">' in html
    assert "must be a JSON object" in html
    assert 'aria-describedby="priority-help priority-errors"' in html
    assert stored_jobs(app) == []


def test_upload_without_a_file_asks_for_one(app, client):
    response = client.post("/upload", data={"pipeline": "default"}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose at least one file." in response.get_data(as_text=True)
    assert stored_jobs(app) == []


def test_upload_larger_than_the_limit_is_refused_next_to_the_file_field(app, make_app, accounts):
    small = make_app(MAX_UPLOAD_MB=1)
    # Encoded in memory: the test client would spool a body this large to a temporary file it never closes.
    boundary, body = encode_multipart(
        {"pipeline": "default", "files": FileStorage(io.BytesIO(b"x" * 2 * 1024 * 1024), "big.txt")}
    )
    client = signed_in_client(small, accounts, "operator")
    response = client.post("/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert '<ul class="field-errors" id="files-errors">' in html
    assert "exceeds the limit of 1 MiB" in html
    assert stored_jobs(app) == []


def test_job_page_shows_status_stages_and_the_result_once_processed(app, client, work_queue):
    upload(client, (TEXT, "report.txt"), labels='{"customer": "acme"}')
    (job,) = stored_jobs(app)

    queued = client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    assert '<span class="badge badge-queued">queued</span>' in queued
    assert 'hx-trigger="every 2s"' in queued
    assert "Cancel job" in queued and "Retry job" not in queued
    assert '<span class="label-key">customer</span> acme</a>' in queued

    work_queue()

    response = client.get(f"/jobs/{job['id']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'hx-trigger="every 2s"' not in html
    assert '<span class="badge badge-succeeded">succeeded</span>' in html
    assert "Cancel job" not in html
    for stage in ("ingest", "detect", "parse", "enrich", "output"):
        assert f'<th scope="row">{stage}</th>' in html
    assert "text/plain" in html
    assert re.search(r'<pre class="document"[^>]*aria-label="Extracted text">Quarterly report', html)
    assert "<summary><code>job_id</code>" in html
    assert f'aria-label="JSON of job_id">&#34;{job["id"]}&#34;</pre>' in html
    assert "Quality signals" in html and "Timings" in html

    download = client.get(f"/jobs/{job['id']}/download/text")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "nine percent" in download.get_data(as_text=True)


def test_document_content_and_filenames_are_shown_escaped(app, client, work_queue):
    """GIVEN a document whose name and text are HTML
    WHEN its job is listed and shown
    THEN the markup appears as text, never as elements."""
    payload = b"Note: the string <script>alert(1)</script> must stay text.\nAnd <b>bold</b> & more text here.\n"
    upload(client, (payload, "<img src=x onerror=alert(1)>.txt"), labels='{"note": "<i>x</i>"}')
    work_queue()
    (job,) = stored_jobs(app)
    assert job["status"] == "succeeded"

    for path in ("/jobs", "/jobs/_rows", f"/jobs/{job['id']}"):
        html = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;.txt" in html
    page = client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<b>bold</b>" not in page and "<i>x</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "And &lt;b&gt;bold&lt;/b&gt; &amp; more" in page


def test_jobs_list_polls_only_while_a_job_is_queued_or_running(app, client, work_queue):
    assert 'hx-trigger="every 2s"' not in client.get("/jobs").get_data(as_text=True)
    upload(client, (TEXT, "report.txt"))

    page = client.get("/jobs?status=queued,succeeded").get_data(as_text=True)
    assert 'hx-get="/jobs/_rows?status=queued,succeeded" hx-trigger="every 2s" hx-swap="outerHTML"' in page

    work_queue()
    rows = client.get("/jobs/_rows?status=queued,succeeded").get_data(as_text=True)
    assert rows.lstrip().startswith('<tbody id="job-rows">')
    assert "hx-trigger" not in rows
    assert '<span class="badge badge-succeeded">succeeded</span>' in rows
    assert '<progress value="1.0" max="1"' in rows


def test_jobs_list_filters_and_pages_with_an_older_link(app, client, work_queue):
    for name in ("one.txt", "two.txt", "three.txt"):
        upload(client, (TEXT, name))

    first = client.get("/jobs?limit=2").get_data(as_text=True)
    assert listed_files(first) == ["three.txt", "two.txt"]
    older = re.search(r'<a href="([^"]+)" rel="next">Older', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert listed_files(second) == ["one.txt"]
    assert "← Newest" in second and 'rel="next"' not in second

    assert listed_files(client.get("/jobs?status=failed").get_data(as_text=True)) == []
    assert len(listed_files(client.get("/jobs?status=queued&pipeline=default").get_data(as_text=True))) == 3
    assert listed_files(client.get("/jobs?pipeline=nope").get_data(as_text=True)) == []


def test_invalid_filter_is_a_friendly_error(client):
    response = client.get("/jobs?status=bogus")
    assert response.status_code == 422
    assert "unknown status" in response.get_data(as_text=True)


def test_cancel_and_retry_through_the_job_page(app, client):
    upload(client, (TEXT, "report.txt"))
    (job,) = stored_jobs(app)

    cancelled = client.post(f"/jobs/{job['id']}/cancel", follow_redirects=True)
    html = cancelled.get_data(as_text=True)
    assert "The job was cancelled." in html
    assert '<span class="badge badge-cancelled">cancelled</span>' in html
    assert "Retry job" in html

    again = client.post(f"/jobs/{job['id']}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "The job could not be cancelled: the job is cancelled" in again

    retried = client.post(f"/jobs/{job['id']}/retry", follow_redirects=True).get_data(as_text=True)
    assert "The job was queued again." in retried
    assert stored_jobs(app)[0]["status"] == "queued"


def test_pipelines_page_lists_each_pipeline_with_its_stages(client):
    html = client.get("/pipelines").get_data(as_text=True)
    assert "default" in html and "version 1" in html
    stages = re.findall(r'<th scope="row">(\w+)</th>', html)
    assert stages == ["ingest", "detect", "parse", "enrich", "output"]


@pytest.mark.parametrize("path", ["/no-such-page", "/jobs/job_does_not_exist", "/jobs/job_nope/download/text"])
def test_not_found_pages_are_friendly_html(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Error 404" in html and "Back to the jobs list" in html
    assert "Content-Security-Policy" in response.headers


def test_polling_a_deleted_job_swaps_in_a_notice_that_stops_the_polling(client):
    response = client.get("/jobs/job_gone/_detail")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This job no longer exists" in html and "hx-trigger" not in html


def test_api_errors_stay_problem_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_unexpected_error_shows_a_friendly_500_page(client, monkeypatch):
    def broken():
        raise RuntimeError("database on fire")

    monkeypatch.setattr("webapp.services.pipelines.list_pipelines", broken)
    response = client.get("/pipelines")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "database on fire" not in html


def test_posts_without_a_csrf_token_are_rejected_when_csrf_is_enabled(app, make_app, accounts):
    """GIVEN an app with CSRF protection on, signed in through its login form
    WHEN forms are posted without a token, then with the token from the page
    THEN the first are refused with 400 and create nothing, the second goes through."""
    client = signed_in_client(make_app(WTF_CSRF_ENABLED=True), accounts, "operator")

    refused = upload(client, (TEXT, "report.txt"))
    assert refused.status_code == 400
    assert "The form expired" in refused.get_data(as_text=True)
    assert stored_jobs(app) == []

    page = client.get("/upload").get_data(as_text=True)
    token = csrf_from(page)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page
    assert upload(client, (TEXT, "report.txt"), csrf_token=token).status_code == 302
    (job,) = stored_jobs(app)

    refused = client.post(f"/jobs/{job['id']}/cancel")
    assert refused.status_code == 400
    assert "The form expired" in refused.get_data(as_text=True)
    assert stored_jobs(app)[0]["status"] == "queued"
    token = csrf_from(client.get(f"/jobs/{job['id']}").get_data(as_text=True))
    assert client.post(f"/jobs/{job['id']}/cancel", data={"csrf_token": token}).status_code == 302
    assert stored_jobs(app)[0]["status"] == "cancelled"
