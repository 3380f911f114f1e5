"""The dashboard in a real browser (Debian's Chromium through Playwright) against the app served for real, the
jobs run by the real worker code when a test says so: what each role sees; uploads by drag and drop and by the
file chooser, watched live to the end; the result viewer with PDF page images; bulk cancel; API keys; users;
error pages; the audit log. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import corpus_file
from tests.dashboard.helpers import drop_files, fits_the_width, screenshot, sign_in_browser, watch
from webapp.extensions import db
from webapp.services import jobs

FIRST = "Minutes of the harbour committee.\n\nThe committee approved the new lighthouse budget.\n"
PDF = corpus_file("pdf_pdflatex-4-pages.pdf")
CSV = corpus_file("csv_stanley-cups.csv")
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}


def submit(app, content: bytes, name: str) -> str:
    with app.app_context():
        job_id = jobs.submit_job(io.BytesIO(content), name, "default").id
        db.session.remove()
    return job_id


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        ("admin", ["Upload", "Users", "Webhooks", "Audit", "API keys"], []),
        ("operator", ["Upload", "API keys"], ["Users", "Webhooks", "Audit"]),
        ("viewer", ["API keys", "Pipelines"], ["Upload", "Users", "Webhooks", "Audit"]),
    ],
)
def test_each_role_sees_the_controls_it_may_use_and_no_others(
    live_server, browser, accounts, work_queue, role, visible, hidden
):
    """GIVEN a failed job and a queued job
    WHEN someone of each role signs in through the login page and looks at the list and at each job
    THEN the navigation, the bulk actions and the job buttons match what the role may do (the server checks
    again: see test_jobs_list and the policy matrix)."""
    failed = submit(live_server.app, b"", "empty.txt")
    work_queue()
    queued = submit(live_server.app, FIRST.encode(), "minutes.txt")
    operator_or_more = role != "viewer"

    page = browser.new_page(viewport=WIDE)
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, role)
    nav = page.get_by_role("navigation", name="Main")
    for name in visible:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    for name in hidden:
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(0)
    expect(page.locator(".whoami")).to_contain_text(f"{role}@example.com")
    expect(page.locator("#job-rows tr")).to_have_count(2)
    expect(page.get_by_role("link", name="Upload documents")).to_have_count(int(operator_or_more))
    expect(page.get_by_role("button", name="Cancel selected")).to_have_count(int(operator_or_more))
    expect(page.get_by_label("Select all on this page")).to_have_count(int(operator_or_more))
    expect(page.locator('input[name="job_ids"]')).to_have_count(2 if operator_or_more else 0)
    screenshot(page, f"jobs-as-{role}")

    page.get_by_role("link", name="empty.txt").click()
    expect(page.locator(".job-error")).to_contain_text("empty_document")
    expect(page.get_by_role("button", name="Retry job")).to_have_count(int(operator_or_more))
    page.goto(f"{live_server.url}/jobs/{queued}")
    expect(page.locator(".summary .badge-queued")).to_have_text("queued")
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(int(operator_or_more))
    expect(page.get_by_role("link", name="History")).to_have_count(int(role == "admin"))

    if not operator_or_more:
        answer = page.goto(f"{live_server.url}/upload")
        assert answer.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("Forbidden")
        screenshot(page, "error-403")
        problems[:] = [p for p in problems if "status of 403" not in p]
    page.goto(f"{live_server.url}/jobs")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/login")
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    assert failed
    assert problems == []
    page.close()


def test_upload_by_drop_and_by_chooser_watch_live_and_read_the_result(live_server, browser, accounts, work_queue):
    """GIVEN an operator on the upload page
    WHEN a corpus PDF is dropped on the drop zone and uploaded, then a CSV and a text file are chosen with the
    file chooser and uploaded together
    THEN a mistyped label is shown beside its field and uploads nothing; each upload ends on the jobs list of
    that upload; the worker's progress reaches the list without a
    reload, to succeeded; the PDF's result shows its text, rendered Markdown and page images that load; the
    CSV's table is a real table; no console error or CSP violation anywhere."""
    page = browser.new_page(viewport=WIDE)
    problems, loads = watch(page)
    sign_in_browser(page, live_server.url, accounts, "operator")

    page.goto(f"{live_server.url}/upload")
    expect(page.locator(".dropzone-hint")).to_contain_text("or drop them here")
    drop_files(page, "#dropzone", [(PDF.name, PDF.read_bytes(), "application/pdf")])
    expect(page.locator("#upload-list .upload-item")).to_have_count(1)
    expect(page.locator("#upload-list")).to_contain_text(PDF.name)
    page.get_by_label("Labels").fill("customer acme")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#labels-errors-js")).to_contain_text("is not key=value")
    expect(page.get_by_label("Labels")).to_be_focused()
    expect(page.locator("#upload-list")).to_contain_text("check the fields below")
    # Chromium logs the refused request's 422 as a failed load: that one is expected, nothing else is.
    assert problems == [
        "console error: Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
    ]
    problems.clear()
    page.get_by_label("Labels").fill("customer=acme")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/jobs?label=upload%3D*")
    expect(page.locator("#job-rows tr")).to_have_count(1)
    expect(page.locator("#job-rows")).to_contain_text(PDF.name)
    expect(page.locator("#job-rows .badge-queued")).to_have_count(1)

    page.goto(f"{live_server.url}/upload")
    page.get_by_label("Documents").set_input_files(
        [
            {"name": CSV.name, "mimeType": "text/csv", "buffer": CSV.read_bytes()},
            {"name": "minutes.txt", "mimeType": "text/plain", "buffer": FIRST.encode()},
        ]
    )
    expect(page.locator("#upload-list .upload-item")).to_have_count(2)
    page.get_by_label("Priority").fill("7")
    screenshot(page, "upload")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/jobs?label=upload%3D*")
    rows = page.locator("#job-rows tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#job-rows .badge-queued")).to_have_count(2)
    expect(page.locator("#job-rows")).to_have_attribute("hx-trigger", "every 2s")
    expect(page.locator("#jobs-live")).to_contain_text("2 queued")
    loads_before = len(loads)

    assert len(work_queue()) == 3

    expect(page.locator("#job-rows .badge-succeeded")).to_have_count(2, timeout=20_000)
    expect(page.locator("#jobs-live")).to_have_text("Every job on this page has finished.")
    assert len(loads) == loads_before, "the list must update in place, not by reloading the page"
    expect(page.locator("#job-rows")).not_to_have_attribute("hx-trigger", "every 2s")
    screenshot(page, "jobs")

    page.get_by_role("link", name=CSV.name).click()
    page.get_by_role("link", name="Tables (1)").click()
    table = page.locator("#result-tables table.extracted")
    expect(table).to_have_count(1)
    # Header cells only for the rows the parser marked as header rows; every cell is shown either way.
    assert table.locator("th, td").count() >= 6 and table.locator("td").count() >= 4
    expect(page.get_by_role("link", name="Download table 1 as CSV")).to_be_visible()
    expect(page.locator(".labels")).to_contain_text("upload")
    screenshot(page, "job-tables")

    page.goto(f"{live_server.url}/jobs?label=customer%3Dacme")
    page.get_by_role("link", name=PDF.name).click()
    expect(page.get_by_label("Extracted text")).not_to_be_empty()
    expect(page.locator(".markdown-body")).not_to_be_empty()
    expect(page.locator("#result-overview")).to_contain_text("en")
    page.get_by_role("link", name="Pages (4)").click()
    images = page.locator("#result-pages img")
    expect(images).to_have_count(4)
    for index in range(4):
        images.nth(index).scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=images.nth(index).element_handle())
        assert images.nth(index).evaluate("img => img.naturalWidth") == 240
    expect(page.locator("#page-2 pre")).not_to_be_empty()
    page.locator("#result-stages, #stages-heading").first.scroll_into_view_if_needed()
    expect(page.locator(".timeline-fill")).to_have_count(5)
    screenshot(page, "job-pdf")
    page.set_viewport_size(NARROW)
    assert fits_the_width(page)
    screenshot(page, "job-pdf-narrow")
    assert problems == []
    page.close()


def test_refused_files_are_marked_one_by_one_and_the_rest_go_through(live_server, browser, accounts):
    """GIVEN a server taking files up to 1 MiB and only one waiting job
    WHEN three files are chosen: a small one, one of 2 MiB, another small one
    THEN the first is uploaded, the big one is refused before it is sent, the third is refused by the busy
    server with its Retry-After; the page stays, says so, and links to the job that was created."""
    live_server.app.config.update(MAX_UPLOAD_MB=1, MAX_QUEUED=1)
    page = browser.new_page(viewport=WIDE)
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "operator")
    page.goto(f"{live_server.url}/upload")
    page.get_by_label("Documents").set_input_files(
        [
            {"name": "first.txt", "mimeType": "text/plain", "buffer": FIRST.encode()},
            {"name": "big.txt", "mimeType": "text/plain", "buffer": b"x" * (2 * 1024 * 1024)},
            {"name": "third.txt", "mimeType": "text/plain", "buffer": FIRST.encode()},
        ]
    )
    page.get_by_role("button", name="Upload").click()
    status = page.locator("#upload-status")
    expect(status).to_contain_text("1 uploaded, 2 not uploaded.")
    items = page.locator("#upload-list .upload-item")
    expect(items.nth(0)).to_contain_text("Uploaded.")
    expect(items.nth(1)).to_contain_text("larger than the limit of 1 MiB")
    expect(items.nth(2)).to_contain_text("already waiting")
    expect(items.nth(2)).to_contain_text("Try again in 30 s.")
    screenshot(page, "upload-refused-files")
    assert problems == [
        "console error: Failed to load resource: the server responded with a status of 429 (TOO MANY REQUESTS)"
    ]
    status.get_by_role("link", name="See the 1 new job").click()
    expect(page.locator("#job-rows tr")).to_have_count(1)
    expect(page.locator("#job-rows")).to_contain_text("first.txt")
    page.close()


def test_job_page_follows_the_job_to_its_result(live_server, browser, accounts, work_queue):
    """GIVEN a job page opened while its job is still queued
    WHEN the worker code runs the job
    THEN htmx swaps in the succeeded status and the extracted text, without a reload, and stops polling."""
    job_id = submit(live_server.app, FIRST.encode(), "minutes.txt")
    page = browser.new_page(viewport=WIDE)
    problems, loads = watch(page)
    sign_in_browser(page, live_server.url, accounts, "operator")
    page.goto(f"{live_server.url}/jobs/{job_id}")
    expect(page.locator(".summary .badge-queued")).to_have_text("queued")
    expect(page.locator("#job-detail")).to_have_attribute("hx-trigger", "every 2s")
    loads_before = len(loads)

    assert len(work_queue()) == 1

    expect(page.get_by_label("Extracted text")).to_contain_text("lighthouse budget", timeout=20_000)
    expect(page.locator("#job-live")).to_contain_text("Status succeeded, 100% done.")
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
    expect(page.locator("#job-detail")).not_to_have_attribute("hx-trigger", "every 2s")
    assert len(loads) == loads_before, "the job page must update in place, not by reloading"
    assert problems == []
    page.close()


def test_operator_bulk_cancels_the_selected_jobs(live_server, browser, accounts, work_queue):
    """GIVEN a finished job and three queued ones
    WHEN an operator selects every job with "select all" and cancels them
    THEN the summary says three were cancelled and one skipped, and the list shows them cancelled."""
    submit(live_server.app, FIRST.encode(), "done.txt")
    work_queue()
    for name in ("a.txt", "b.txt", "c.txt"):
        submit(live_server.app, FIRST.encode(), name)
    page = browser.new_page(viewport=WIDE)
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "operator")

    page.get_by_role("button", name="Cancel selected").click()
    expect(page.locator("#selection-count")).to_have_text("Select at least one job first.")
    page.get_by_label("Select all on this page").check()
    expect(page.locator('#job-rows input[name="job_ids"]:checked')).to_have_count(4)
    # The rows are replaced every 2 s while jobs are queued: the selection must survive that.
    with page.expect_response(lambda answer: "/jobs/_rows" in answer.url):
        pass
    page.wait_for_timeout(100)
    expect(page.locator('#job-rows input[name="job_ids"]:checked')).to_have_count(4)
    expect(page.locator("#selection-count")).to_have_text("4 selected")
    page.get_by_label("Select a.txt").uncheck()
    expect(page.locator("#selection-count")).to_have_text("3 selected")
    page.get_by_label("Select a.txt").check()
    page.get_by_role("button", name="Cancel selected").click()
    expect(page.get_by_role("status").first).to_have_text("3 cancelled, 1 skipped (already finished).")
    expect(page.locator("#job-rows .badge-cancelled")).to_have_count(3)
    expect(page.locator("#job-rows .badge-succeeded")).to_have_count(1)
    screenshot(page, "jobs-bulk-cancelled")
    assert problems == []
    page.close()


def test_admin_creates_and_revokes_an_api_key_and_manages_a_user(live_server, browser, accounts):
    """GIVEN an admin signed in through the login page (CSRF on, as in production)
    WHEN they create an API key, use it, revoke it, then create a user and change that user's role
    THEN the key is shown once and works until revoked; the user is listed with the new role."""
    page = browser.new_page(viewport=WIDE)
    problems, _ = watch(page)
    accounts.ensure("admin")
    page.goto(f"{live_server.url}/login")
    screenshot(page, "login")
    sign_in_browser(page, live_server.url, accounts, "admin")

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("nightly import")
    page.get_by_label("Role").select_option("operator")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("alert")).to_contain_text("Copy it now: it will not be shown again.")
    key = page.get_by_label("The new API key").inner_text()
    assert key.startswith("dp_") and len(key) == 52
    screenshot(page, "api-keys")
    client = live_server.app.test_client()
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200

    page.goto(f"{live_server.url}/settings/api-keys")  # not a reload: that would post the form again
    expect(page.get_by_label("The new API key")).to_have_count(0)
    assert key not in page.content(), "the key is shown once, never again"
    row = page.locator("tbody tr", has_text="nightly import")
    expect(row.locator("td[data-label='Last used']")).not_to_contain_text("never")
    row.get_by_role("button", name="Revoke nightly import").click()
    expect(page.get_by_role("status")).to_contain_text("was revoked: it no longer works")
    expect(page.locator("tbody tr", has_text="nightly import")).to_contain_text("revoked")
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401

    page.get_by_role("link", name="Users").click()
    page.get_by_label("E-mail").fill("new.person@example.com")
    page.get_by_label("Password").fill("long enough pw")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_contain_text("Created new.person@example.com with the viewer role.")
    page.get_by_label("Role of new.person@example.com").select_option("operator")
    page.get_by_role("button", name="Save role of new.person@example.com").click()
    expect(page.get_by_label("Role of new.person@example.com")).to_have_value("operator")
    screenshot(page, "users")
    assert problems == []
    page.close()


def test_unknown_pages_get_the_friendly_404(live_server, browser, accounts):
    page = browser.new_page(viewport=WIDE)
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "viewer")
    answer = page.goto(f"{live_server.url}/jobs/job_00000000000000000000000000")
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_text("There is nothing at this address.")).to_be_visible()
    page.get_by_role("link", name="Back to the jobs list").click()
    page.wait_for_url(f"{live_server.url}/jobs")
    screenshot(page, "jobs-empty")
    page.goto(f"{live_server.url}/no/such/page")
    screenshot(page, "error-404")
    # Chromium reports the 404 answers themselves as failed loads; nothing else may appear.
    assert [p for p in problems if "status of 404" not in p] == []
    page.close()


def test_admin_filters_the_audit_log_opens_an_event_and_exports_it(live_server, browser, accounts, work_queue):
    """GIVEN an operator who signed in and uploaded a document that the worker code then processed
    WHEN an admin opens Audit, filters by the operator's e-mail, narrows to the last 24 hours, opens a row and
    clicks "Export CSV"
    THEN only the operator's events are listed, the row opens the event with its details and hashes, and the
    download holds the same events; no console error or CSP violation on the way."""
    operator = accounts.client("operator")
    data = {"files": [(io.BytesIO(FIRST.encode()), "minutes.txt")], "pipeline": "default"}
    assert operator.post("/upload", data=data, content_type="multipart/form-data").status_code == 302
    assert len(work_queue()) == 1

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "admin")
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    expect(page.locator("#audit-rows .badge-success").first).to_be_visible()

    page.get_by_label("Actor").fill(accounts.email("operator"))
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#audit-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("job.created")
    expect(rows.nth(1)).to_contain_text("auth.login")
    expect(page.locator("#audit-rows .actor a")).to_have_text(["Events by operator@example.com"] * 2)
    page.get_by_role("link", name="Last 24 hours").click()
    expect(rows).to_have_count(2)
    expect(page.get_by_label("Actor")).to_have_value(accounts.email("operator"))
    assert page.get_by_label("Since (UTC)").input_value().startswith("20")
    screenshot(page, "audit")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == "audit.csv"
    exported = Path(download.path()).read_text().splitlines()
    assert exported[0].startswith("id,at,actor_type,actor_id,actor_name,action")
    assert [line.split(",")[5] for line in exported[1:]] == ["job.created", "auth.login"]

    # The time links to the event and its link covers the row: a click on the action cell opens it too.
    cell = rows.nth(0).locator("td[data-label=Action]").bounding_box()
    page.mouse.click(cell["x"] + 4, cell["y"] + cell["height"] / 2)
    expect(page.get_by_role("heading", level=1)).to_contain_text("job.created")
    expect(page.get_by_label("Event details as JSON")).to_contain_text('"filename": "minutes.txt"')
    expect(page.locator(".chain .check-ok")).to_have_count(2)
    expect(page.locator(".summary")).to_contain_text("operator@example.com")
    screenshot(page, "audit-event")
    page.get_by_role("link", name="History of this job").click()
    expect(rows).to_have_count(3)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/admin/audit")
    screenshot(page, "audit-narrow")
    assert problems == []
