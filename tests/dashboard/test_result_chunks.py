"""The job page's Chunks tab through the Flask test client: each chunk with its heading path, pages, token count
and text (escaped: chunks are data), its boxes over the page images of a PDF, and no tab without the chunk stage."""

from __future__ import annotations

import io
import re

from tests.dashboard.layout_result import chunk_pipeline, report_layout, report_pdf, store_chunks, store_layout
from webapp.dashboard import views
from webapp.extensions import db
from webapp.services import jobs

HOSTILE_MD = b"# Plan <script>alert(1)</script>\n\nThe depot opens in <b>May</b>.\n"


def submit(app, data: bytes, filename: str, pipeline: str) -> str:
    with app.app_context():
        job_id = jobs.submit_job(io.BytesIO(data), filename, pipeline).id
        db.session.remove()
    return job_id


def chunked_pdf_job(app, work_queue) -> tuple[str, list[dict]]:
    """A PDF job of a chunk pipeline whose result is layout_result's two pages, cut by_title: c1 (title, heading,
    paragraph on page 1) and c2 (the table on page 2)."""
    job_id = submit(app, report_pdf(), "fleet.pdf", chunk_pipeline(app))
    work_queue()
    document = report_layout()
    store_layout(app, job_id, document)
    return job_id, store_chunks(app, job_id, document)


def chunk_item(html: str, chunk_id: str) -> str:
    match = re.search(rf'<li class="chunk" id="chunk-{chunk_id}">(.*?)</li>\s*(?:<li class="chunk"|</ol>)', html, re.S)
    assert match, f"no chunk {chunk_id} on the page"
    return match.group(1)


def test_the_chunks_tab_shows_each_chunk_and_its_boxes_over_the_page_images(app, client, work_queue):
    """GIVEN a PDF job of a pipeline with the chunk stage WHEN its page is opened THEN a Chunks tab lists each
    chunk with its heading path, page, token count and text, and behind "Show on the page" the page image with an
    SVG in the page's points holding one rect per box of that chunk only."""
    job_id, chunks = chunked_pdf_job(app, work_queue)
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert '<a href="#result-chunks">Chunks (2)</a>' in html and 'id="result-chunks"' in html
    assert " style=" not in html and "<script>" not in html

    first = chunk_item(html, "c1")
    assert '<span class="chunk-headings">Fleet Report › 1 Depots</span>' in first
    assert "<span>Page 1</span>" in first and "<span>11 tokens</span>" in first and "<span>3 elements</span>" in first
    assert ">Fleet Report\n1 Depots\n\nEvery region opened a depot this year.</pre>" in first
    assert '<details class="chunk-boxes">' in first and "<summary>Show on the page</summary>" in first
    assert f'<img src="/jobs/{job_id}/pages/1.png"' in first and "pages/2.png" not in first
    svg = re.search(r'<svg class="page-boxes" viewBox="0 0 595.28 841.89"[^>]*>(.*?)</svg>', first, re.S)
    rects = re.findall(r'<rect class="box box-text" x="([\d.]+)" y="([\d.]+)"[^>]*data-element="c1 box \d"', svg[1])
    assert rects == [("56.00", "62.00"), ("56.00", "108.00"), ("56.00", "136.00")]
    assert 'aria-label="Boxes of chunk c1 on page 1"' in first

    table = chunk_item(html, "c2")
    assert "<span>table</span>" in table and f'<img src="/jobs/{job_id}/pages/2.png"' in table
    assert re.findall(r'<rect class="box box-table"', table) == ['<rect class="box box-table"']
    assert len(chunks) == 2


def test_a_job_of_a_pipeline_without_the_chunk_stage_has_no_chunks_tab(app, client, work_queue):
    job_id = submit(app, b"# Notes\n\nNo chunks here.\n", "notes.md", "default")
    work_queue()
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Elements (" in html and "Chunks (" not in html and 'id="result-chunks"' not in html


def test_chunks_of_a_document_without_pages_are_escaped_text_without_images(app, client, work_queue):
    """GIVEN a Markdown document with HTML in its heading and text, cut by a chunk pipeline WHEN its job page is
    opened THEN the chunk shows the markup as text (escaped), and no page image (nothing to draw on)."""
    job_id = submit(app, HOSTILE_MD, "plan.md", chunk_pipeline(app))
    work_queue()
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    item = chunk_item(html, "c1")
    assert "<script>" not in html and "<b>May</b>" not in item
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in item and "&lt;b&gt;May&lt;/b&gt;" in item
    assert "Page" not in item and "<details" not in item and "<img" not in item


def test_a_long_list_says_how_many_chunks_are_shown(app, client, work_queue, monkeypatch):
    job_id, _ = chunked_pdf_job(app, work_queue)
    monkeypatch.setattr(views, "CHUNKS_SHOWN", 1)
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'id="chunk-c1"' in html and 'id="chunk-c2"' not in html
    assert "Showing the first 1 of 2 chunks" in html
