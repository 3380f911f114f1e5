"""The dashboard in a real browser: sign in, upload through the page, watch htmx update the list, read the result;
what a viewer does not see; API keys and users pages."""

from __future__ import annotations

import io
import os
from pathlib import Path

from playwright.sync_api import expect

from tests.dashboard.helpers import sign_in_browser
from webapp.extensions import db
from webapp.services import jobs

SCREENSHOTS = Path(os.environ.get("DOCPIPE_SCREENSHOTS", "/tmp"))
FIRST = "Minutes of the harbour committee.\n\nThe committee approved the new lighthouse budget.\n"
SECOND = "Shopping list\n\nApples, pears and a loaf of rye bread.\n"


def watch(page) -> tuple[list[str], list[str]]:
    """Collect the page's console errors, page errors and full page loads while a test drives it."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    return problems, loads


def test_upload_watch_progress_and_read_the_result(live_server, browser, work_queue, accounts):
    """GIVEN the dashboard served for real and an empty job list
    WHEN two text files are uploaded through the form and the worker code then runs the jobs
    THEN the list turns both to succeeded by htmx polling, without a reload, and the job page shows the text;
    and the browser reports no console error and no CSP violation along the way."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    problems, loads = watch(page)
    sign_in_browser(page, live_server.url, accounts, "operator")

    page.goto(f"{live_server.url}/upload")
    expect(page.get_by_role("heading", name="Upload documents")).to_be_visible()
    page.get_by_label("Documents").set_input_files(
        [
            {"name": "minutes.txt", "mimeType": "text/plain", "buffer": FIRST.encode()},
            {"name": "shopping.txt", "mimeType": "text/plain", "buffer": SECOND.encode()},
        ]
    )
    page.get_by_label("Pipeline").select_option("default")
    page.get_by_label("Labels").fill('{"source": "browser-test"}')
    page.get_by_role("button", name="Upload").click()

    page.wait_for_url(f"{live_server.url}/jobs")
    expect(page.get_by_role("status")).to_contain_text("Created 2 jobs: minutes.txt, shopping.txt.")
    rows = page.locator("#job-rows tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#job-rows .badge-queued")).to_have_count(2)
    expect(page.locator("#job-rows")).to_have_attribute("hx-trigger", "every 2s")
    loads_before = len(loads)

    assert len(work_queue()) == 2

    expect(page.locator("#job-rows .badge-succeeded")).to_have_count(2, timeout=20_000)
    assert len(loads) == loads_before, "the list must update in place, not by reloading the page"
    expect(page.locator("#job-rows")).not_to_have_attribute("hx-trigger", "every 2s")
    expect(page.locator("#job-rows progress").first).to_have_attribute("value", "1.0")
    page.screenshot(path=str(SCREENSHOTS / "docpipe-jobs.png"), full_page=True)

    page.get_by_role("link", name="minutes.txt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("minutes.txt")
    expect(page.locator(".summary .badge-succeeded")).to_have_text("succeeded")
    text = page.get_by_label("Extracted text")
    expect(text).to_contain_text("approved the new lighthouse budget")
    assert "lighthouse budget" in page.locator("#result-markdown pre").inner_text()
    expect(page.locator(".labels")).to_contain_text("source")
    page.get_by_role("link", name="Metadata").click()
    expect(page.locator("#result-metadata")).to_contain_text("text/plain")
    page.screenshot(path=str(SCREENSHOTS / "docpipe-job.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/jobs")
    page.screenshot(path=str(SCREENSHOTS / "docpipe-jobs-narrow.png"), full_page=True)

    assert problems == []


def test_job_page_shows_the_result_when_the_job_finishes(live_server, browser, work_queue, accounts):
    """GIVEN a job page opened while its job is still queued
    WHEN the worker code runs the job
    THEN htmx swaps in the succeeded status and the extracted text, without a reload, and stops polling."""
    page = browser.new_page()
    problems, loads = watch(page)
    sign_in_browser(page, live_server.url, accounts, "operator")

    page.goto(f"{live_server.url}/upload")
    page.get_by_label("Documents").set_input_files(
        [{"name": "minutes.txt", "mimeType": "text/plain", "buffer": FIRST.encode()}]
    )
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("link", name="minutes.txt").click()
    expect(page.locator(".summary .badge-queued")).to_have_text("queued")
    expect(page.get_by_role("button", name="Cancel job")).to_be_visible()
    expect(page.locator("#job-detail")).to_have_attribute("hx-trigger", "every 2s")
    loads_before = len(loads)

    assert len(work_queue()) == 1

    expect(page.get_by_label("Extracted text")).to_contain_text("lighthouse budget", timeout=20_000)
    expect(page.locator(".summary .badge-succeeded")).to_have_text("succeeded")
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
    expect(page.locator("#job-detail")).not_to_have_attribute("hx-trigger", "every 2s")
    assert len(loads) == loads_before, "the job page must update in place, not by reloading"
    assert problems == []


def test_a_viewer_sees_no_controls_they_cannot_use_and_signs_out(live_server, browser, accounts, work_queue):
    """GIVEN a queued job and a failed job, and a viewer signed in through the login page
    WHEN they look at the jobs list and at each job
    THEN there is no upload link and no cancel or retry button; after signing out they are on the login page
    and the jobs list sends them back to it."""
    with live_server.app.app_context():
        failed = jobs.submit_job(io.BytesIO(b""), "empty.txt", "default").id
        db.session.remove()
    work_queue()
    with live_server.app.app_context():
        queued = jobs.submit_job(io.BytesIO(FIRST.encode()), "minutes.txt", "default").id
        db.session.remove()

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "viewer")

    expect(page.locator(".whoami")).to_contain_text("viewer@example.com")
    expect(page.locator("#job-rows tr")).to_have_count(2)
    expect(page.get_by_role("link", name="Upload")).to_have_count(0)
    expect(page.get_by_role("link", name="Upload documents")).to_have_count(0)
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    expect(page.get_by_role("link", name="API keys")).to_be_visible()

    page.get_by_role("link", name="empty.txt").click()
    expect(page.locator(".summary .badge-failed")).to_have_text("failed")
    expect(page.locator(".job-error")).to_contain_text("empty_document")
    expect(page.get_by_role("button", name="Retry job")).to_have_count(0)
    expect(page.locator(f'form[action$="/jobs/{failed}/retry"]')).to_have_count(0)

    page.goto(f"{live_server.url}/jobs/{queued}")
    expect(page.locator(".summary .badge-queued")).to_have_text("queued")
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)
    expect(page.locator(".actions button")).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/login")
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto(f"{live_server.url}/jobs")
    page.wait_for_url(f"{live_server.url}/login?next=/jobs")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert problems == []


def test_admin_creates_an_api_key_and_manages_a_user(live_server, browser, accounts):
    """GIVEN an admin signed in through the login page (CSRF on, as in production)
    WHEN they create an API key and then a user, and change that user's role
    THEN the key is shown once and works, the user is listed with the new role; no console error on the way."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    problems, _ = watch(page)
    accounts.ensure("admin")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail").fill("someone@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Invalid e-mail or password.")
    # Chromium logs the failed sign-in's 401 answer as a failed load; that one is expected, nothing else is.
    assert problems == [
        "console error: Failed to load resource: the server responded with a status of 401 (UNAUTHORIZED)"
    ]
    problems.clear()
    page.screenshot(path=str(SCREENSHOTS / "docpipe-login.png"), full_page=True)
    sign_in_browser(page, live_server.url, accounts, "admin")

    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    page.get_by_label("Name").fill("nightly import")
    page.get_by_label("Role").select_option("operator")
    page.get_by_label("Expires after (days)").fill("90")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("alert")).to_contain_text("Copy it now: it will not be shown again.")
    key = page.get_by_label("The new API key").inner_text()
    assert key.startswith("dp_") and len(key) == 52
    expect(page.locator("tbody tr", has_text="nightly import")).to_contain_text("operator")
    page.screenshot(path=str(SCREENSHOTS / "docpipe-api-keys.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "docpipe-api-keys-narrow.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    answer = live_server.app.test_client().get("/api/v1/users/me", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200 and answer.get_json()["effective_role"] == "operator"

    page.get_by_role("link", name="Users").click()
    page.get_by_label("E-mail").fill("new.person@example.com")
    page.get_by_label("Password").fill("long enough pw")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_contain_text("Created new.person@example.com with the viewer role.")
    page.get_by_label("Role of new.person@example.com").select_option("operator")
    page.get_by_role("button", name="Save role of new.person@example.com").click()
    expect(page.get_by_role("status")).to_contain_text("new.person@example.com now has the operator role.")
    expect(page.get_by_label("Role of new.person@example.com")).to_have_value("operator")
    page.screenshot(path=str(SCREENSHOTS / "docpipe-users.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "docpipe-users-narrow.png"), full_page=True)
    assert problems == []


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
    page.screenshot(path=str(SCREENSHOTS / "docpipe-audit.png"), full_page=True)

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
    page.screenshot(path=str(SCREENSHOTS / "docpipe-audit-event.png"), full_page=True)
    page.get_by_role("link", name="History of this job").click()
    expect(rows).to_have_count(3)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/admin/audit")
    page.screenshot(path=str(SCREENSHOTS / "docpipe-audit-narrow.png"), full_page=True)
    assert problems == []
