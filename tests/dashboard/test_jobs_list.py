"""The jobs list's filters (label, dates), bulk cancel and retry, and the one-file upload endpoint that
static/js/upload.js posts to; through the Flask test client, jobs run by the real worker code in-process."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.dashboard.helpers import csrf_from, signed_in_client
from tests.dashboard.test_pages import TEXT, listed_files, stored_jobs, upload
from webapp.timeutil import utcnow


def post_file(client, content: bytes, name: str, **fields):
    data = {"files": [(io.BytesIO(content), name)], "pipeline": "default", "batch": "b1", **fields}
    return client.post("/upload/file", data=data, content_type="multipart/form-data")


def test_label_filter_matches_key_and_value(app, client):
    upload(client, (TEXT, "acme.txt"), labels="customer=acme")
    upload(client, (TEXT, "globex.txt"), labels="customer=globex, batch=7")
    upload(client, (TEXT, "none.txt"), labels='{"batch": 8}')

    assert listed_files(client.get("/jobs?label=customer%3Dacme").get_data(as_text=True)) == ["acme.txt"]
    assert listed_files(client.get("/jobs?label=batch%3D8").get_data(as_text=True)) == ["none.txt"]
    assert listed_files(client.get("/jobs?label=batch%3D7").get_data(as_text=True)) == ["globex.txt"]
    assert listed_files(client.get("/jobs?label=customer%3Dinitech").get_data(as_text=True)) == []
    empty = client.get("/jobs?label=customer%3Dinitech").get_data(as_text=True)
    assert "No jobs match these filters." in empty and "Clear filters" in empty
    refused = client.get("/jobs?label=customer")
    assert refused.status_code == 422 and "must be key=value" in refused.get_data(as_text=True)


def test_labels_are_typed_as_key_value_lines_and_checked(app, client):
    assert upload(client, (TEXT, "a.txt"), labels="customer = acme\nbatch=7").status_code == 302
    (job,) = stored_jobs(app)
    assert {key: job["labels"][key] for key in ("customer", "batch")} == {"customer": "acme", "batch": "7"}

    response = upload(client, (TEXT, "b.txt"), labels="customer=acme\njust words")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<ul class="field-errors" id="labels-errors">' in html and "is not key=value" in html
    assert len(stored_jobs(app)) == 1


def test_date_filters_take_the_browsers_datetime_local_values(app, client):
    upload(client, (TEXT, "now.txt"))
    past = (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    future = (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    assert listed_files(client.get(f"/jobs?created_after={past}").get_data(as_text=True)) == ["now.txt"]
    assert listed_files(client.get(f"/jobs?created_after={future}").get_data(as_text=True)) == []
    assert listed_files(client.get(f"/jobs?created_before={past}").get_data(as_text=True)) == []
    page = client.get(f"/jobs?created_after={past}&created_before={future}").get_data(as_text=True)
    assert listed_files(page) == ["now.txt"]
    assert f'name="created_after" type="datetime-local" step="1" value="{past}"' in page


def test_bulk_cancel_says_what_happened_to_each_job(app, client, work_queue):
    """GIVEN one finished job and three queued ones
    WHEN an operator selects all four and cancels them
    THEN the three are cancelled and the finished one is skipped, and the summary says so."""
    upload(client, (TEXT, "done.txt"))
    work_queue()
    for name in ("a.txt", "b.txt", "c.txt"):
        upload(client, (TEXT, name))
    ids = [job["id"] for job in stored_jobs(app)]

    data = {"job_ids": ids, "next": "/jobs?status=queued"}
    response = client.post("/jobs/bulk/cancel", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/jobs?status=queued"
    html = client.get("/jobs").get_data(as_text=True)
    assert "3 cancelled, 1 skipped (already finished)." in html
    assert sorted(job["status"] for job in stored_jobs(app)) == ["cancelled"] * 3 + ["succeeded"]

    retried = client.post("/jobs/bulk/retry", data={"job_ids": ids}, follow_redirects=True).get_data(as_text=True)
    assert "3 queued again, 1 skipped (not failed or cancelled)." in retried
    assert sorted(job["status"] for job in stored_jobs(app)) == ["queued"] * 3 + ["succeeded"]


def test_bulk_action_without_a_selection_or_with_an_offsite_next(client):
    response = client.post("/jobs/bulk/cancel", data={"next": "//evil.example/jobs"})
    assert response.headers["Location"] == "/jobs"
    html = client.get("/jobs").get_data(as_text=True)
    assert "Nothing was done: select at least one job." in html


def test_bulk_controls_are_for_operators_and_the_server_refuses_viewers(app, accounts, client):
    upload(client, (TEXT, "a.txt"))
    (job,) = stored_jobs(app)
    viewer = accounts.client("viewer")
    page = viewer.get("/jobs").get_data(as_text=True)
    assert 'name="job_ids"' not in page and "Cancel selected" not in page and "select-all" not in page
    assert viewer.post("/jobs/bulk/cancel", data={"job_ids": [job["id"]]}).status_code == 403
    assert viewer.post("/jobs/bulk/retry", data={"job_ids": [job["id"]]}).status_code == 403
    assert stored_jobs(app)[0]["status"] == "queued"

    operator = accounts.client("operator").get("/jobs").get_data(as_text=True)
    assert f'value="{job["id"]}" id="select-{job["id"]}" form="bulk-form" hx-preserve="true"' in operator
    assert "Cancel selected" in operator and "Retry selected" in operator


def test_bulk_actions_need_the_csrf_token(app, make_app, accounts, client):
    upload(client, (TEXT, "a.txt"))
    (job,) = stored_jobs(app)
    browser = signed_in_client(make_app(WTF_CSRF_ENABLED=True), accounts, "operator")
    refused = browser.post("/jobs/bulk/cancel", data={"job_ids": [job["id"]]})
    assert refused.status_code == 400 and stored_jobs(app)[0]["status"] == "queued"
    token = csrf_from(browser.get("/jobs").get_data(as_text=True))
    assert browser.post("/jobs/bulk/cancel", data={"job_ids": [job["id"]], "csrf_token": token}).status_code == 302
    assert stored_jobs(app)[0]["status"] == "cancelled"


def test_live_rows_carry_a_summary_for_screen_readers(app, client, work_queue):
    upload(client, (TEXT, "a.txt"))
    page = client.get("/jobs").get_data(as_text=True)
    assert '<p id="jobs-live" class="live-summary muted" aria-live="polite">0 running, 1 queued' in page
    rows = client.get("/jobs/_rows").get_data(as_text=True)
    assert 'id="jobs-live" class="live-summary muted" aria-live="polite" hx-swap-oob="true"' in rows
    work_queue()
    rows = client.get("/jobs/_rows").get_data(as_text=True)
    assert "Every job on this page has finished." in rows and "hx-trigger" not in rows


# --- /upload/file: one file of a JavaScript upload --------------------------------------------------------------


def test_one_file_upload_answers_json_with_the_job_and_the_batchs_list(app, client):
    response = post_file(client, TEXT, "report.txt", priority="8", labels="customer=acme")
    assert response.status_code == 201
    body = response.get_json()
    (job,) = stored_jobs(app)
    assert body["job"] == {"id": job["id"], "filename": "report.txt", "url": f"/jobs/{job['id']}"}
    assert body["jobs_url"] == "/jobs?label=upload%3Db1"
    assert job["priority"] == 8 and job["labels"] == {"customer": "acme", "upload": "b1"}
    assert listed_files(client.get(body["jobs_url"]).get_data(as_text=True)) == ["report.txt"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"priority": "12"}, "priority", "must be an integer from 0 to 9"),
        ({"labels": "oops"}, "labels", "is not key=value"),
        ({"labels": "upload=mine"}, "labels", "is set by the upload itself"),
        ({"pipeline": "nope"}, "pipeline", "Not a valid choice"),
    ],
)
def test_one_file_upload_names_the_refused_field(app, client, fields, field, message):
    response = post_file(client, TEXT, "report.txt", **fields)
    assert response.status_code == 422
    body = response.get_json()
    assert message in body["fields"][field][0] and message in body["error"]
    assert stored_jobs(app) == []


def test_one_file_upload_too_large_is_a_json_413(app, make_app, accounts):
    small = signed_in_client(make_app(MAX_UPLOAD_MB=1), accounts, "operator")
    boundary, body = encode_multipart(
        {"pipeline": "default", "batch": "b1", "files": FileStorage(io.BytesIO(b"x" * 2 * 1024 * 1024), "big.txt")}
    )
    response = small.post("/upload/file", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert response.get_json() == {"error": "The upload exceeds the limit of 1 MiB."}
    assert stored_jobs(app) == []


def test_one_file_upload_when_the_queue_is_full_is_a_429_with_retry_after(app, make_app, accounts):
    busy = signed_in_client(make_app(MAX_QUEUED=1), accounts, "operator")
    assert post_file(busy, TEXT, "first.txt").status_code == 201
    response = post_file(busy, TEXT, "second.txt")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert "already waiting" in response.get_json()["error"]
    assert [job["filename"] for job in stored_jobs(app)] == ["first.txt"]


def test_one_file_upload_needs_the_csrf_token_and_the_operator_role(app, make_app, accounts):
    browser = signed_in_client(make_app(WTF_CSRF_ENABLED=True), accounts, "operator")
    refused = post_file(browser, TEXT, "a.txt")
    assert refused.status_code == 400 and "The form expired" in refused.get_json()["error"]
    token = csrf_from(browser.get("/upload").get_data(as_text=True))
    assert post_file(browser, TEXT, "a.txt", csrf_token=token).status_code == 201
    assert post_file(accounts.client("viewer"), TEXT, "b.txt").status_code == 403
    assert [job["filename"] for job in stored_jobs(app)] == ["a.txt"]


def test_upload_page_offers_the_drop_zone_and_still_works_as_a_plain_form(client):
    html = client.get("/upload").get_data(as_text=True)
    assert '<script src="/static/js/upload.js" defer></script>' in html
    assert 'enctype="multipart/form-data"' in html and 'data-file-url="/upload/file"' in html
    assert re.search(r'<input[^>]*id="files"[^>]*multiple[^>]*name="files"[^>]*type="file"', html)
    assert re.search(r'<input id="batch" name="batch" type="hidden" value="[0-9a-f]{8}">', html)
