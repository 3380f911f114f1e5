"""Chunks through the job API: a pipeline with the chunk stage, ``result.chunks``, ``GET /jobs/{id}/chunks`` page by
page and as JSON lines for LangChain and LlamaIndex, page selections, ETags, and the answers before and without
chunks. Real corpus documents of every kind go through the real worker."""

from __future__ import annotations

import json

import pytest

from tests.conftest import corpus_file, multipart_body
from tests.dashboard.layout_result import report_layout, report_pdf, store_chunks, store_layout

STAGES = ["ingest", "detect", "parse", "enrich", "chunk", "output"]
CHUNK_KEYS = {"id", "index", "text", "token_count", "headings", "pages", "element_ids", "bboxes", "type"}
METADATA_KEYS = CHUNK_KEYS - {"text"} | {"job_id", "source"}


def make_pipeline(client, name: str = "chunked", **options) -> dict:
    stages = [{"name": stage, "options": options if stage == "chunk" else {}} for stage in STAGES]
    response = client.post("/api/v1/pipelines", json={"name": name, "stages": stages})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def submit(client, data: bytes, filename: str, pipeline: str = "chunked") -> dict:
    body, content_type = multipart_body({"file": (data, filename), "pipeline": pipeline})
    response = client.post("/api/v1/jobs", data=body, content_type=content_type)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def run(client, work_queue, data: bytes, filename: str, pipeline: str = "chunked") -> str:
    job = submit(client, data, filename, pipeline)
    work_queue()
    done = client.get(f"/api/v1/jobs/{job['id']}").get_json()
    assert done["status"] == "succeeded", done["error"]
    return job["id"]


def all_pages(client, path: str) -> list[dict]:
    """Every item of a paginated list, following each answer's Link header."""
    items, url = [], path
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["items"]
        link = response.headers.get("Link")
        assert (link is None) == (body["next_cursor"] is None)
        url = link[1 : link.index(">")] if link else None
    return items


def jsonl(client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/x-ndjson"
    text = response.get_data(as_text=True)
    assert text.endswith("\n") or text == ""
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize(
    ("name", "paginated"),
    [
        ("docx_docling_word_sample.docx", False),
        ("pdf_docling_multi_page.pdf", True),
        ("html_tika_testHTML.html", False),
        ("md_docling_wiki.md", False),
        ("xlsx_docling_xlsx_01.xlsx", False),
        ("eml_fake-email-attachment.eml", False),
    ],
)
def test_every_format_chunks_through_the_job_api(client, work_queue, name, paginated):
    """GIVEN a pipeline with the chunk stage WHEN a corpus document of each kind is submitted and run
    THEN the result has its chunks, /chunks gives the same chunks page by page, and ?format=jsonl one
    {"page_content", "metadata"} line per chunk with the job's id and file name; PDF chunks carry pages and boxes."""
    make_pipeline(client, max_tokens=64)
    job_id = run(client, work_queue, corpus_file(name).read_bytes(), name)
    job = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert job["links"]["chunks"] == f"/api/v1/jobs/{job_id}/chunks"
    result = client.get(f"/api/v1/jobs/{job_id}/result").get_json()
    chunks = result["chunks"]
    assert chunks and all(set(chunk) == CHUNK_KEYS for chunk in chunks)
    assert [chunk["index"] for chunk in chunks] == list(range(len(chunks)))
    element_ids = {element["id"] for element in result["elements"]}
    assert all(chunk["element_ids"] and set(chunk["element_ids"]) <= element_ids for chunk in chunks)
    assert all(0 < chunk["token_count"] <= 64 for chunk in chunks)
    assert any(chunk["headings"] for chunk in chunks)
    if paginated:
        assert all(chunk["pages"] and chunk["bboxes"] for chunk in chunks)
        assert {box["page"] for chunk in chunks for box in chunk["bboxes"]} <= {p["number"] for p in result["pages"]}
    else:
        assert all(chunk["pages"] == [] and chunk["bboxes"] == [] for chunk in chunks)

    assert all_pages(client, f"/api/v1/jobs/{job_id}/chunks?limit=2") == chunks
    lines = jsonl(client, f"/api/v1/jobs/{job_id}/chunks?format=jsonl")
    assert [line["page_content"] for line in lines] == [chunk["text"] for chunk in chunks]
    for line, chunk in zip(lines, chunks, strict=True):
        assert set(line) == {"page_content", "metadata"} and set(line["metadata"]) == METADATA_KEYS
        assert line["metadata"] == {key: chunk[key] for key in CHUNK_KEYS - {"text"}} | {
            "job_id": job_id,
            "source": name,
        }


@pytest.fixture
def laid_out(app, client, work_queue) -> str:
    """A succeeded two-page PDF job of a chunk pipeline whose result is tests/dashboard/layout_result.py's layout,
    chunked one element a chunk (so each page has its own chunks)."""
    make_pipeline(client)
    job_id = run(client, work_queue, report_pdf(), "fleet.pdf")
    document = report_layout()
    store_layout(app, job_id, document)
    store_chunks(app, job_id, document, strategy="by_element")
    return job_id


def test_pages_cursors_and_the_link_header(client, laid_out):
    everything = client.get(f"/api/v1/jobs/{laid_out}/chunks").get_json()
    assert everything["next_cursor"] is None and len(everything["items"]) >= 3
    first = client.get(f"/api/v1/jobs/{laid_out}/chunks?limit=2")
    body = first.get_json()
    assert body["items"] == everything["items"][:2] and body["next_cursor"]
    assert first.headers["Link"] == f'</api/v1/jobs/{laid_out}/chunks?limit=2&cursor={body["next_cursor"]}>; rel="next"'
    second = client.get(f"/api/v1/jobs/{laid_out}/chunks?limit=2&cursor={body['next_cursor']}").get_json()
    assert second["items"] == everything["items"][2:4]
    bad = client.get(f"/api/v1/jobs/{laid_out}/chunks?cursor=bm90LWEtbnVtYmVy")  # "not-a-number"
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "cursor"
    assert client.get(f"/api/v1/jobs/{laid_out}/chunks?limit=0").status_code == 422
    wrong = client.get(f"/api/v1/jobs/{laid_out}/chunks?format=csv")
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["field"] == "format"


def test_a_page_selection_keeps_the_chunks_that_touch_those_pages(client, laid_out):
    """GIVEN chunks on pages 1 and 2 WHEN ?pages=2 is asked of /chunks and of the result THEN only the chunks
    that touch page 2 come back, with the index they have among all the chunks."""
    everything = client.get(f"/api/v1/jobs/{laid_out}/chunks").get_json()["items"]
    on_two = [chunk for chunk in everything if chunk["pages"][0] <= 2 <= chunk["pages"][-1]]
    assert on_two and len(on_two) < len(everything)
    assert client.get(f"/api/v1/jobs/{laid_out}/chunks?pages=2").get_json()["items"] == on_two
    assert client.get(f"/api/v1/jobs/{laid_out}/result?pages=2").get_json()["chunks"] == on_two
    lines = jsonl(client, f"/api/v1/jobs/{laid_out}/chunks?format=jsonl&pages=2")
    assert [line["metadata"]["id"] for line in lines] == [chunk["id"] for chunk in on_two]
    assert client.get(f"/api/v1/jobs/{laid_out}/chunks?pages=0").status_code == 422


def test_each_representation_has_its_own_etag_and_304(client, laid_out):
    path = f"/api/v1/jobs/{laid_out}/chunks"
    tags = {query: client.get(path + query).headers["ETag"] for query in ("", "?limit=2", "?pages=2", "?format=jsonl")}
    assert len(set(tags.values())) == 4
    for query, tag in tags.items():
        again = client.get(path + query, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.get_data() == b"", query
    assert client.get(path, headers={"If-None-Match": tags["?limit=2"]}).status_code == 200


def test_before_success_and_without_the_chunk_stage_it_is_409_and_404_for_an_unknown_job(client, work_queue):
    """GIVEN a queued job of a chunk pipeline and a succeeded job of the default pipeline
    WHEN their chunks are asked for THEN 409 with the job's status (and why) for both, 404 for an unknown job;
    the default pipeline's result has no ``chunks`` and its job no chunks link."""
    make_pipeline(client)
    default_job = run(client, work_queue, b"Plain words, no chunks.\n", "plain.txt", pipeline="default")
    queued = submit(client, b"Waiting.\n", "waiting.txt")
    assert queued["links"]["chunks"] == f"/api/v1/jobs/{queued['id']}/chunks"

    waiting = client.get(f"/api/v1/jobs/{queued['id']}/chunks")
    assert waiting.status_code == 409 and waiting.get_json()["job_status"] == "queued"
    assert "once it has succeeded" in waiting.get_json()["detail"]
    plain = client.get(f"/api/v1/jobs/{default_job}/chunks?format=jsonl")
    assert plain.status_code == 409 and "has no chunk stage" in plain.get_json()["detail"]
    assert "chunks" not in client.get(f"/api/v1/jobs/{default_job}/result").get_json()
    assert "chunks" not in client.get(f"/api/v1/jobs/{default_job}").get_json()["links"]
    assert client.get("/api/v1/jobs/job_00000000000000000000000000/chunks").status_code == 404


def test_a_document_without_text_has_no_chunks_and_no_error(client, work_queue):
    stages = [{"name": stage, "options": {}} for stage in STAGES]
    stages[-1]["options"] = {"fail_on_empty": False}
    assert client.post("/api/v1/pipelines", json={"name": "lenient", "stages": stages}).status_code == 201
    job_id = run(client, work_queue, b" \n\n \n", "blank.txt", pipeline="lenient")
    assert client.get(f"/api/v1/jobs/{job_id}/result").get_json()["chunks"] == []
    assert client.get(f"/api/v1/jobs/{job_id}/chunks").get_json() == {"items": [], "next_cursor": None}
    assert client.get(f"/api/v1/jobs/{job_id}/chunks?format=jsonl").get_data() == b""


def test_viewers_may_read_chunks_and_anonymous_callers_may_not(accounts, client, laid_out):
    assert accounts.client("viewer").get(f"/api/v1/jobs/{laid_out}/chunks").status_code == 200
    assert accounts.client(None).get(f"/api/v1/jobs/{laid_out}/chunks").status_code == 401
