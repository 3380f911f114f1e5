"""The result viewer: Markdown rendered safely, tables, quality explained, collapsible JSON, the stage time line
and attempts, and page images of PDFs rendered in the sandbox and cached in the blob store."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from flask import render_template

from tests.conftest import corpus_file
from tests.dashboard.layout_result import report_layout, report_pdf, store_layout
from tests.dashboard.test_pages import stored_jobs, upload
from webapp.api.serializers import result_to_dict
from webapp.dashboard.filters import markdown
from webapp.extensions import db
from webapp.models import Job
from webapp.services import jobs, thumbnails
from webapp.services.storage import get_storage

HOSTILE_MD = (
    b"# Hostile\n\n<script>alert(1)</script>\n\n[click me](javascript:alert(1)) and [ok](https://example.com/)\n\n"
    b"![pixel](http://evil.example/p.png)\n\n<img src=x onerror=alert(2)>\n\n| a | b |\n|---|---|\n| 1 | <b>2</b> |\n"
)


def markdown_body(html: str) -> str:
    match = re.search(r'<div class="markdown-body"[^>]*>(.*?)</div>\s*<details class="source">', html, re.S)
    assert match, "no rendered Markdown on the page"
    return match.group(1)


def test_markdown_renderer_escapes_html_and_refuses_script_links():
    html = str(
        markdown(
            "<script>alert(1)</script>\n\n[a](javascript:alert(1)) [b](JAVASCRIPT:alert(1)) [c](vbscript:x) "
            "[d](data:text/html;base64,PHNjcmlwdD4=) [e](https://example.com/)\n\n![i](http://evil.example/p.png)"
            '\n\n<a href="javascript:alert(2)">raw</a> <iframe src="x"></iframe>'
        )
    )
    assert "<script" not in html and "<iframe" not in html and "<img" not in html
    assert not re.search(r'href="(?i:javascript|vbscript|data):', html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://example.com/" rel="nofollow noopener noreferrer">e</a>' in html
    assert '<span class="md-image">[image: i]</span>' in html


def test_hostile_markdown_document_is_shown_rendered_but_harmless(app, client, work_queue):
    """GIVEN a Markdown file with a script tag, an img with onerror, a javascript: link and a remote image
    WHEN it is processed and its job page opened
    THEN the Markdown is rendered (heading, table) with every tag escaped and nothing that runs or loads."""
    upload(client, (HOSTILE_MD, "hostile.md"))
    work_queue()
    (job,) = stored_jobs(app)
    assert job["status"] == "succeeded"
    html = client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    body = markdown_body(html)
    assert "<h1>Hostile</h1>" in body and "<table>" in body
    assert "<script" not in body and "<img" not in body and "<b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;img src=x onerror=alert(2)&gt;" in body
    assert not re.search(r'href="javascript:', body, re.I)


def test_tables_quality_and_json_parts(app, client, work_queue):
    upload(client, (corpus_file("csv_stanley-cups.csv").read_bytes(), "cups.csv"))
    work_queue()
    (job,) = stored_jobs(app)
    html = client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    table = re.search(r'<table class="extracted">(.*?)</table>', html, re.S).group(1)
    # The CSV parser marks no header rows: every row is data, none is passed off as a header.
    assert "<caption>Table 1</caption>" in table and "<th" not in table and "<td>Stanley Cups</td>" in table
    assert f'href="/jobs/{job["id"]}/tables/0.csv" download aria-label="Download table 1 as CSV"' in html
    assert "Tables (1)" in html and "Elements (1)" in html
    assert "Quality signals" in html
    assert "Characters of extracted text." in html
    assert re.search(r"<summary><code>tables</code> <span class=\"muted\">1 item</span></summary>", html)
    assert '<details class="json-part">' in html


def test_result_renders_without_a_job_for_the_try_it_page(app, client, work_queue):
    """The pipelines' "try it" page shows a result that belongs to no job: no downloads, no page images."""
    upload(client, (corpus_file("pdf_pdflatex-4-pages.pdf").read_bytes(), "paper.pdf"))
    work_queue()
    (job,) = stored_jobs(app)
    with app.test_request_context("/"):
        stored = db.session.get(Job, job["id"])
        result = result_to_dict(stored, jobs.get_result(stored))
        html = render_template("dashboard/_job_result.html", result=result, job=None)
        db.session.remove()
    assert "Download:" not in html and "result-pages" not in html
    assert 'aria-label="Extracted text"' in html and "markdown-body" in html


def test_stage_time_line_and_attempts(app, client, work_queue):
    """GIVEN an empty file, which fails, retried once and failed again
    WHEN its job page is opened
    THEN the stages have proportional bars with their milliseconds, and both attempts are listed with the error."""
    upload(client, (b"", "empty.txt"))
    work_queue()
    (job,) = stored_jobs(app)
    client.post(f"/jobs/{job['id']}/retry")
    work_queue()
    html = client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    bars = re.findall(r'<rect class="timeline-fill timeline-(\w+)" x="(\d+)" y="0" width="(\d+)"', html)
    assert bars and {status for status, _, _ in bars} <= {"succeeded", "failed"}
    assert all(0 <= int(x) <= 1000 and 2 <= int(width) <= 1000 for _, x, width in bars)
    assert re.search(r'<span title="\d+ ms">\d+ ms</span>', html)
    assert '<h2 id="attempts-heading">Attempts</h2>' in html
    assert "Attempt 2 (latest)" in html and "Attempt 1" in html
    assert html.count("<code>empty_document</code>") >= 3  # the error section and each attempt
    assert 'Stages <span class="muted">(attempt 2)</span>' in html


def test_pdf_pages_are_shown_beside_their_text(app, client, work_queue):
    upload(client, (corpus_file("pdf_pdflatex-4-pages.pdf").read_bytes(), "paper.pdf"))
    work_queue()
    (job,) = stored_jobs(app)
    html = client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    assert "Pages (4)" in html
    images = re.findall(r'<img src="(/jobs/[^"]+/pages/(\d)\.png)" srcset="[^"]+\?w=480 2x" loading="lazy"', html)
    assert [number for _, number in images] == ["1", "2", "3", "4"]
    texts = re.findall(r'aria-label="Text of page (\d)">([^<]{20})', html)
    assert [number for number, _ in texts] == ["1", "2", "3", "4"]


def test_page_images_render_in_the_sandbox_and_are_cached(app, client, work_queue):
    """GIVEN a succeeded four-page PDF job
    WHEN its page images are asked for
    THEN each is a PNG of the asked width, stored in the blob store under the job, page and width; a second
    request is served from there (even once the PDF itself is gone); pages past the end are 404."""
    upload(client, (corpus_file("pdf_pdflatex-4-pages.pdf").read_bytes(), "paper.pdf"))
    work_queue()
    (job,) = stored_jobs(app)
    first = client.get(f"/jobs/{job['id']}/pages/2.png")
    assert first.status_code == 200 and first.mimetype == "image/png"
    png = first.get_data()
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == 240
    assert first.headers["Cache-Control"].startswith("private")
    large = client.get(f"/jobs/{job['id']}/pages/2.png?w=960").get_data()
    assert int.from_bytes(large[16:20], "big") == 960

    with app.app_context():
        storage = get_storage()
        # The whole batch was rendered by one child process and stored.
        assert all(storage.exists(thumbnails.cache_path(job["id"], 240, page)) for page in (1, 2, 3, 4))
        stored = db.session.get(Job, job["id"]).stored_file.path
        storage.delete(stored)
        db.session.remove()
    assert client.get(f"/jobs/{job['id']}/pages/3.png").get_data() != png
    assert client.get(f"/jobs/{job['id']}/pages/2.png").get_data() == png

    assert client.get(f"/jobs/{job['id']}/pages/9.png?w=960").status_code == 404
    assert client.get(f"/jobs/{job['id']}/pages/2.png?w=123").status_code == 422

    # Deleting the job takes its page images with it.
    assert client.delete(f"/api/v1/jobs/{job['id']}").status_code == 204
    with app.app_context():
        assert not any(get_storage().exists(thumbnails.cache_path(job["id"], w, 2)) for w in (240, 960))
        assert not (Path(app.config["STORAGE_DIR"]) / thumbnails.cache_folder(job["id"])).exists()


def test_a_broken_pdf_costs_its_thumbnail_not_the_web_process(app, client, work_queue):
    """GIVEN a succeeded PDF job whose stored file was replaced by garbage afterwards
    WHEN a page image is asked for
    THEN PDFium fails in the sandbox's child, the answer is a friendly 409, and the app goes on serving."""
    upload(client, (corpus_file("pdf_pdflatex-4-pages.pdf").read_bytes(), "paper.pdf"))
    work_queue()
    (job,) = stored_jobs(app)
    with app.app_context():
        path = db.session.get(Job, job["id"]).stored_file.path
        get_storage().put(path, b"%PDF-1.7\n" + b"\x00garbage" * 1000)
        db.session.remove()
    response = client.get(f"/jobs/{job['id']}/pages/1.png")
    assert response.status_code == 409
    assert "the PDF cannot be opened" in response.get_data(as_text=True)
    assert client.get(f"/jobs/{job['id']}").status_code == 200


def test_page_images_exist_only_for_pdfs(app, client, work_queue):
    upload(client, (b"Plain words in a text file.\n", "report.txt"))
    work_queue()
    (job,) = stored_jobs(app)
    assert "result-pages" not in client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    assert client.get(f"/jobs/{job['id']}/pages/1.png").status_code == 409


def test_a_viewer_may_see_page_images(app, accounts, client, work_queue):
    upload(client, (corpus_file("pdf_pdflatex-4-pages.pdf").read_bytes(), "paper.pdf"))
    work_queue()
    (job,) = stored_jobs(app)
    assert accounts.client("viewer").get(f"/jobs/{job['id']}/pages/1.png").status_code == 200
    assert accounts.client(None).get(f"/jobs/{job['id']}/pages/1.png").status_code == 302


def _job_with_layout(app, client, work_queue) -> tuple[str, dict]:
    upload(client, (report_pdf(), "fleet.pdf"))
    work_queue()
    (job,) = stored_jobs(app)
    assert job["status"] == "succeeded"
    return job["id"], store_layout(app, job["id"], report_layout())


def test_pages_show_each_elements_box_over_the_page_image(app, client, work_queue):
    """GIVEN a PDF job whose result has elements with boxes and page sizes
    WHEN its page is opened
    THEN each page image has an SVG in the page's points with one rect per element on it, tables in their own
    class, each rect titled with its type (and a heading's level) and id; and a toggle to hide them."""
    job_id, parts = _job_with_layout(app, client, work_queue)
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    svgs = re.findall(
        r'<svg class="page-boxes" viewBox="0 0 595.28 841.89" preserveAspectRatio="none"(.*?)</svg>', html, re.S
    )
    assert len(svgs) == 2
    rects = [
        re.findall(
            r'<rect class="box box-(\w+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" '
            r'data-element="(e\d+)"><title>([^<]+)</title></rect>',
            svg,
        )
        for svg in svgs
    ]
    boxed = [e for e in parts["elements"] if e.get("bbox")]
    assert sum(len(found) for found in rects) == len(boxed) == 6
    assert rects[0][1] == ("text", "56.00", "108.00", "64.00", "16.00", "e2", "heading (level 1) · e2")
    assert rects[1][0][0] == "table" and rects[1][0][6] == "table · e5"
    assert rects[0][3][6] == "page footer · e4"
    assert '<input type="checkbox" id="show-boxes" class="boxes-toggle" checked>' in html
    # The page's text is the result's: the running footer is left out.
    assert re.search(r'aria-label="Text of page 1">Fleet Report\n\n1 Depots\n\nEvery region', html)
    assert "Page 1</pre>" not in html


def test_the_element_list_shows_heading_levels(app, client, work_queue):
    job_id, _ = _job_with_layout(app, client, work_queue)
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Elements (6)" in html
    assert re.search(
        r'<li class="element element-heading level-1">\s*<span class="element-type">heading '
        r'<span class="element-level">level 1</span></span> <span class="muted">page 1</span> <code class="muted">e2'
        r"</code>",
        html,
    )
    assert re.search(r'<span class="element-type">table</span>.*?<span class="element-text">3 rows</span>', html, re.S)


def test_tables_download_as_csv_from_the_dashboard(app, accounts, client, work_queue):
    """GIVEN a job with a table whose cells start with = and - WHEN a viewer downloads it from the Tables tab
    THEN it is the table's rows as CSV, unaltered, named after the file; a table that does not exist is 404."""
    job_id, parts = _job_with_layout(app, client, work_queue)
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "<caption>Table 1 (page 2)</caption>" in html and '<th scope="col">Region</th>' in html
    response = accounts.client("viewer").get(f"/jobs/{job_id}/tables/0.csv")
    assert response.status_code == 200 and response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="fleet-table-0.csv"'
    assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == parts["tables"][0]["rows"]
    assert client.get(f"/jobs/{job_id}/tables/1.csv").status_code == 404
    assert accounts.client(None).get(f"/jobs/{job_id}/tables/0.csv").status_code == 302


def test_no_tables_says_whether_tables_were_looked_for(app, client, work_queue):
    """GIVEN a Markdown file without tables, a text file, and a Markdown file run by a pipeline with tables off
    WHEN each job's page is opened THEN the Tables tab says "No tables found" only where tables were detected."""
    client.post(
        "/api/v1/pipelines",
        json={"name": "no-tables", "stages": [{"name": "ingest"}, {"name": "detect"},
              {"name": "parse", "options": {"tables": False}}, {"name": "output"}]},
    )  # fmt: skip
    upload(client, (b"# Notes\n\nNo table here.\n", "notes.md"))
    upload(client, (b"Plain words.\n", "plain.txt"))
    upload(client, (b"# More notes\n\nNone here either.\n", "more.md"), pipeline="no-tables")
    work_queue()
    pages = {job["filename"]: client.get(f"/jobs/{job['id']}").get_data(as_text=True) for job in stored_jobs(app)}
    assert "No tables found." in pages["notes.md"]
    assert "This format has no tables to detect" in pages["plain.txt"] and "No tables found" not in pages["plain.txt"]
    assert "Table detection was off for this pipeline" in pages["more.md"] and "No tables found" not in pages["more.md"]
