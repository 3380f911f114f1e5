"""The Chunks tab in Chromium: each chunk with its headings, pages and token count; a click on "Show on the page"
shows the page image with only that chunk's boxes laid exactly over it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.dashboard.helpers import screenshot, sign_in_browser, watch
from tests.dashboard.test_result_chunks import chunked_pdf_job

WIDTH_PT = 595.28


def test_a_chunks_boxes_are_drawn_over_its_page_when_asked(live_server, browser, accounts, work_queue):
    """GIVEN a PDF job cut into two chunks (c1 on page 1 with three boxes, c2 a table on page 2)
    WHEN a viewer opens the Chunks tab THEN both chunks are listed with their heading path, page and token count,
    with no page image shown; WHEN "Show on the page" of c1 is clicked THEN page 1's image shows with three rects
    over it, placed where the boxes are in points, and c2's stays closed; no console error or CSP violation."""
    job_id, chunks = chunked_pdf_job(live_server.app, work_queue)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, _ = watch(page)
    sign_in_browser(page, live_server.url, accounts, "viewer")
    page.goto(f"{live_server.url}/jobs/{job_id}")
    page.get_by_role("link", name="Chunks (2)").click()
    expect(page.locator("#result-chunks")).to_be_in_viewport()

    items = page.locator("#result-chunks li.chunk")
    expect(items).to_have_count(2)
    first = page.locator("#chunk-c1")
    expect(first.locator(".chunk-headings")).to_have_text("Fleet Report › 1 Depots")
    expect(first.locator(".chunk-facts")).to_contain_text("Page 1")
    expect(first.locator(".chunk-facts")).to_contain_text(f"{chunks[0]['token_count']} tokens")
    expect(page.locator("#chunk-c2 .chunk-facts")).to_contain_text("table")
    image, figure = first.locator("img"), first.locator("svg.page-boxes")
    expect(image).to_be_hidden()

    first.get_by_text("Show on the page").click()
    expect(image).to_be_visible()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0 and f"/jobs/{job_id}/pages/1.png" in image.get_attribute("src")
    expect(figure.locator("rect")).to_have_count(3)
    drawn, overlay = image.bounding_box(), figure.bounding_box()
    assert abs(overlay["x"] - drawn["x"] - 1) < 0.6 and abs(overlay["width"] - drawn["width"] + 2) < 0.6
    paragraph = figure.locator('rect[data-element="c1 box 3"]').bounding_box()
    # The paragraph's box, scaled from points to the image: 56 pt from the left, 204 pt wide (plus its stroke).
    assert abs(paragraph["x"] - overlay["x"] - 56 * overlay["width"] / WIDTH_PT) < 1
    assert abs(paragraph["width"] - 204 * overlay["width"] / WIDTH_PT) < 2
    expect(page.locator("#chunk-c2 svg.page-boxes")).to_be_hidden()
    screenshot(page, "result-chunk-boxes")
    assert problems == []
    page.close()
