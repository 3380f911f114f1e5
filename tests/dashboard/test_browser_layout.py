"""The result viewer's layout parts in Chromium: element boxes drawn over each PDF page image (scaled with it,
tables in their own colour, a tooltip with the type, a toggle) and a table's CSV download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from tests.dashboard.helpers import screenshot, sign_in_browser, watch
from tests.dashboard.layout_result import report_layout, report_pdf, store_layout
from webapp.extensions import db
from webapp.services import jobs


def _laid_out_job(app, work_queue) -> tuple[str, dict]:
    with app.app_context():
        job_id = jobs.submit_job(io.BytesIO(report_pdf()), "fleet.pdf", "default").id
        db.session.remove()
    work_queue()
    return job_id, store_layout(app, job_id, report_layout())


def test_element_boxes_over_the_pages_and_a_tables_csv_download(live_server, browser, accounts, work_queue):
    """GIVEN a PDF job whose result has elements with boxes on two pages, one of them a table
    WHEN a viewer opens the job's Pages tab
    THEN each page image has one rect per element with a box, laid exactly over the image, the table's in
    another colour, each titled with its element's type; the checkbox hides and shows them; and the table's
    CSV link downloads the table's rows; no console error or CSP violation on the way."""
    job_id, parts = _laid_out_job(live_server.app, work_queue)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "viewer")
    page.goto(f"{live_server.url}/jobs/{job_id}")
    page.get_by_role("link", name="Pages (2)").click()

    rects = page.locator("#result-pages svg.page-boxes rect")
    expect(rects).to_have_count(len([element for element in parts["elements"] if element.get("bbox")]))
    expect(page.locator("#page-1 svg.page-boxes rect")).to_have_count(4)
    expect(page.locator("#page-2 svg.page-boxes rect.box-table")).to_have_count(1)
    titles = page.locator("#page-1 svg.page-boxes rect title").all_text_contents()
    assert titles == ["title · e1", "heading (level 1) · e2", "paragraph · e3", "page footer · e4"]

    image = page.locator("#page-1 img")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    drawn, overlay = image.bounding_box(), page.locator("#page-1 svg.page-boxes").bounding_box()
    assert abs(overlay["x"] - drawn["x"] - 1) < 0.6 and abs(overlay["width"] - drawn["width"] + 2) < 0.6
    assert abs(overlay["y"] - drawn["y"] - 1) < 0.6 and abs(overlay["height"] - drawn["height"] + 2) < 0.6
    # The heading's box, scaled from points to the image: 56 pt from the left of a 595.28 pt page.
    heading = page.locator('#page-1 rect[data-element="e2"]').bounding_box()
    assert abs(heading["x"] - overlay["x"] - 56 * overlay["width"] / 595.28) < 1
    table_stroke = page.locator("#page-2 rect.box-table").evaluate("r => getComputedStyle(r).stroke")
    text_stroke = page.locator("#page-1 rect.box-text").first.evaluate("r => getComputedStyle(r).stroke")
    assert table_stroke != text_stroke
    screenshot(page, "result-page-boxes")

    page.get_by_label("Show element boxes").uncheck()
    expect(page.locator("svg.page-boxes").first).to_be_hidden()
    page.get_by_label("Show element boxes").check()
    expect(page.locator("svg.page-boxes").first).to_be_visible()

    page.get_by_role("link", name="Tables (1)").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download table 1 as CSV").click()
    download = download_info.value
    assert download.suggested_filename == "fleet-table-0.csv"
    downloaded = Path(download.path()).read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(downloaded))) == parts["tables"][0]["rows"]
    assert problems == []
    page.close()
