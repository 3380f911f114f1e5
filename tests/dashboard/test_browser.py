"""The dashboard in a real browser: upload through the page, watch htmx update the list, read the result."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.dashboard.helpers import sign_in_browser

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
