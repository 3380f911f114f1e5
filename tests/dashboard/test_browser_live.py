"""The dashboard as it runs in production: gunicorn serving the app and a huey_consumer working the queue, as
separate processes on one data dir (tests/e2e/service.py), driven by Chromium. Nothing runs a job but the
consumer, and the page images are rendered by the gunicorn worker's sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import corpus_file
from tests.dashboard.helpers import screenshot, watch
from tests.e2e.service import Service, service_env

pytestmark = pytest.mark.slow
ADMIN_EMAIL = "admin@localhost"


@pytest.fixture
def service(tmp_path: Path):
    running = Service(tmp_path, service_env(tmp_path, DOCPIPE_WORKER_HEARTBEAT_SECONDS="1"))
    running.setup()
    running.start_web()
    running.start_consumer(workers=2)
    yield running
    running.stop()


def test_upload_to_result_with_gunicorn_and_a_real_worker(service, browser):
    """GIVEN gunicorn and a huey_consumer started as an operator would start them
    WHEN the admin signs in, uploads a corpus PDF and a CSV with the file chooser
    THEN the jobs list shows both reach succeeded by itself (the consumer did the work), and the PDF's result
    page shows its text and page images rendered by the web process's sandbox."""
    pdf, csv = corpus_file("pdf_pdflatex-4-pages.pdf"), corpus_file("csv_stanley-cups.csv")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, loads = watch(page)
    page.goto(f"{service.base}/login")
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(service.env["DOCPIPE_ADMIN_PASSWORD"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{service.base}/jobs")

    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_label("Documents").set_input_files([str(pdf), str(csv)])
    expect(page.locator("#upload-list .upload-item")).to_have_count(2)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/jobs?label=upload%3D*")
    expect(page.locator("#job-rows tr")).to_have_count(2)
    loads_before = len(loads)

    expect(page.locator("#job-rows .badge-succeeded")).to_have_count(2, timeout=60_000)
    assert len(loads) == loads_before, "the list follows the jobs by polling, not by reloading"
    screenshot(page, "live-jobs")

    page.get_by_role("link", name=pdf.name).click()
    expect(page.get_by_label("Extracted text")).not_to_be_empty()
    page.get_by_role("link", name="Pages (4)").click()
    first = page.locator("#page-1 img")
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=first.element_handle(), timeout=30_000)
    assert first.evaluate("img => img.naturalWidth") == 240
    screenshot(page, "live-job-pdf")
    assert problems == []
    page.close()
