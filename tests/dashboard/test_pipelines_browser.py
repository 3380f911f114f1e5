"""The pipelines editor in Debian's Chromium against the live app (CSRF on): edit, see an error beside its
field, fix it, save, read the diff; try the edited pipeline on a real PDF; what a viewer sees."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import ROOT, corpus_file
from tests.dashboard.helpers import sign_in_browser
from tests.dashboard.test_browser import watch
from webapp.extensions import db
from webapp.models import Job, StoredFile

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SAMPLE_PDF = "pdf_docling_multi_page.pdf"
REFUSED = "console error: Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_editor(page, base_url: str) -> None:
    page.goto(f"{base_url}/pipelines")
    page.get_by_role("link", name="Edit default").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit default")


def test_operator_edits_sees_the_error_beside_the_field_saves_and_reads_the_diff(live_server, browser, accounts):
    """GIVEN an operator on the default pipeline's editor
    WHEN they type an invalid size limit THEN the live JSON preview says so; on Save the page shows the error
    beside the field and in a focused summary whose link leads to the field
    WHEN they fix it and save THEN version 2 exists, and its history shows the change field by field and line
    by line; no console error or CSP violation anywhere."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "operator")
    open_editor(page, live_server.url)

    size = page.get_by_label("Max size (MiB)")
    size.fill("0")
    size.press("Tab")
    expect(page.locator("#json-preview")).to_contain_text("Not valid yet: 1 problem.")
    expect(page.locator("#json-preview")).to_contain_text("Ingest › Max size (MiB): must be at least 1")
    page.get_by_label("OCR", exact=True).select_option("never")
    expect(page.locator("#json-preview")).to_contain_text('"ocr": "never"')
    page.get_by_role("button", name="Save version 2").click()

    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    expect(page.locator("#opt-ingest-max_size_mb-errors")).to_have_text("Error: must be at least 1")
    expect(size).to_have_attribute("aria-invalid", "true")
    expect(size).to_have_value("0")
    expect(page.get_by_label("OCR", exact=True)).to_have_value("never")
    screenshot(page, "pipeline-editor-errors")
    # Chromium logs the refused save's 422 answer as a failed load; that one is expected, nothing else is.
    assert problems == [REFUSED]
    problems.clear()
    summary.get_by_role("link", name="Ingest › Max size (MiB): must be at least 1").click()
    expect(size).to_be_focused()

    size.fill("50")
    page.get_by_role("button", name="Save version 2").click()
    expect(page.get_by_role("status")).to_contain_text("Saved version 2 of default.")
    expect(page.get_by_role("heading", level=1)).to_have_text("default version 2")

    page.get_by_role("link", name="Versions").click()
    expect(page.get_by_role("heading", name="Version 1 → version 2")).to_be_visible()
    changes = page.locator("table.changes tbody tr")
    expect(changes).to_have_count(2)
    expect(changes.nth(0)).to_contain_text("ingest › max_size_mb")
    expect(changes.nth(0)).to_contain_text("added")
    expect(changes.nth(0).locator("del")).to_have_text("default (100)")
    expect(changes.nth(0).locator("ins")).to_have_text("50")
    expect(changes.nth(1)).to_contain_text("parse › ocr")
    expect(page.locator(".line-diff ins")).to_contain_text(['+ "max_size_mb": 50', '+ "ocr": "never"'])
    screenshot(page, "pipeline-history-diff")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "pipeline-history-diff-narrow")

    page.goto(f"{live_server.url}/pipelines")
    page.get_by_role("link", name="Edit default").click()
    expect(page.get_by_label("Max size (MiB)")).to_have_value("50")
    screenshot(page, "pipeline-editor-narrow")
    assert problems == []


def test_operator_tries_the_unsaved_pipeline_on_a_corpus_pdf(live_server, browser, accounts):
    """GIVEN the editor with the enrich stage switched off (not saved)
    WHEN the operator picks a real PDF and clicks "Try it"
    THEN the page shows its text and the stages that ran, and no job or stored file exists; a corrupt PDF
    then shows its typed error and stage."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "operator")
    open_editor(page, live_server.url)

    page.get_by_label("Run the enrich stage").uncheck()
    expect(page.locator("#json-preview")).not_to_contain_text('"enrich"')
    page.get_by_label("Sample file").set_input_files(str(corpus_file(SAMPLE_PDF)))
    page.get_by_role("button", name="Try it", exact=True).click()

    result = page.locator("#try-result")
    expect(result).to_be_focused(timeout=60_000)
    expect(result.get_by_label("Extracted text")).to_contain_text("The Evolution of the Word Processor")
    expect(result.locator(".trial-stages tbody th")).to_have_text(["ingest", "detect", "parse", "output"])
    expect(page.get_by_label("Run the enrich stage")).not_to_be_checked()
    screenshot(page, "pipeline-try-it")
    with live_server.app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Job)).scalar_one() == 0
        assert db.session.execute(db.select(db.func.count()).select_from(StoredFile)).scalar_one() == 0
        db.session.remove()

    page.get_by_label("Sample file").set_input_files(str(corpus_file("bad_pdf_truncated_derived.pdf")))
    page.get_by_role("button", name="Try it", exact=True).click()
    error = page.locator(".trial-error")
    expect(error).to_contain_text("The pipeline failed in the parse stage", timeout=60_000)
    expect(error.locator(".error-type")).to_have_text("corrupt_file")
    screenshot(page, "pipeline-try-it-error")
    assert problems == []


def test_a_viewer_reads_pipelines_without_any_edit_control(live_server, browser, accounts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "viewer")
    page.get_by_role("link", name="Pipelines").click()
    expect(page.get_by_role("link", name="New pipeline")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit default")).to_have_count(0)
    screenshot(page, "pipelines-list-viewer")

    page.get_by_role("link", name="default", exact=True).click()
    expect(page.get_by_role("heading", name="Stages")).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("link", name="Try it on a sample")).to_have_count(0)
    expect(page.locator("form[method=post][action^='/pipelines']")).to_have_count(0)
    screenshot(page, "pipeline-detail-viewer")
    assert problems == []
