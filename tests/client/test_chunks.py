"""Chunks from the client and the ``docpipe`` command: ``chunks``/``iter_chunks``/``chunks_jsonl``,
``docpipe submit --format chunks -o DIR`` (``DIR/<stem>.jsonl``) and ``docpipe result ID --format chunks``."""

from __future__ import annotations

import json

import pytest

from tests.conftest import corpus_file
from webapp.client import DocpipeError
from webapp.client.cli import main

DOCX = "docx_docling_word_sample.docx"
TEXT = "txt_norwich-city.txt"
STAGES = ("ingest", "detect", "parse", "enrich", "chunk", "output")


@pytest.fixture
def chunked(client) -> str:
    """A pipeline with the chunk stage, small chunks so that a document has several."""
    stages = [{"name": name, "options": {"max_tokens": 32} if name == "chunk" else {}} for name in STAGES]
    response = client.post("/api/v1/pipelines", json={"name": "chunked", "stages": stages})
    assert response.status_code == 201, response.get_json()
    return "chunked"


@pytest.fixture
def env(monkeypatch, live_server, operator_key):
    monkeypatch.setenv("DOCPIPE_URL", live_server.url)
    monkeypatch.setenv("DOCPIPE_API_KEY", operator_key)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_client_reads_chunks_page_by_page_and_as_json_lines(docpipe, worker, chunked):
    job = docpipe.submit(corpus_file(TEXT), pipeline=chunked)
    assert docpipe.wait([job["id"]], timeout=60)[job["id"]]["status"] == "succeeded"

    chunks = docpipe.chunks(job["id"])
    assert len(chunks) > 3 and [chunk["index"] for chunk in chunks] == list(range(len(chunks)))
    assert list(docpipe.iter_chunks(job["id"], page_size=2)) == chunks
    first = docpipe.list_chunks(job["id"], limit=2)
    assert first.items == chunks[:2] and first.next_cursor
    assert docpipe.list_chunks(job["id"], limit=2, cursor=first.next_cursor).items == chunks[2:4]
    lines = [json.loads(line) for line in docpipe.chunks_jsonl(job["id"]).splitlines()]
    assert [line["page_content"] for line in lines] == [chunk["text"] for chunk in chunks]
    assert {line["metadata"]["source"] for line in lines} == {TEXT}


def test_chunks_of_a_pipeline_without_the_chunk_stage_are_a_409(docpipe, worker):
    job = docpipe.submit(corpus_file(TEXT))
    docpipe.wait([job["id"]], timeout=60)
    with pytest.raises(DocpipeError) as refused:
        docpipe.chunks(job["id"])
    assert refused.value.status == 409 and "has no chunk stage" in str(refused.value)


def test_submit_format_chunks_writes_one_jsonl_file_per_document(env, worker, chunked, tmp_path, capsys):
    """GIVEN a pipeline with the chunk stage WHEN two documents are submitted with --format chunks -o DIR
    THEN DIR holds <stem>.jsonl for each, exactly the lines of GET /jobs/{id}/chunks?format=jsonl, and
    ``docpipe result ID --format chunks`` prints the same lines."""
    out = tmp_path / "out"
    files = [str(corpus_file(name)) for name in (DOCX, TEXT)]
    code, stdout, stderr = run(capsys, "submit", *files, "--pipeline", chunked, "--format", "chunks", "-o", str(out))
    assert code == 0, stderr
    assert sorted(path.name for path in out.iterdir()) == ["docx_docling_word_sample.jsonl", "txt_norwich-city.jsonl"]
    ids = {file: job_id for job_id, _, file in (line.split("\t") for line in stdout.splitlines())}
    written = (out / "txt_norwich-city.jsonl").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in written.splitlines()]
    assert len(lines) > 3 and all(line["metadata"]["job_id"] == ids[files[1]] for line in lines)
    docx = [json.loads(line) for line in (out / "docx_docling_word_sample.jsonl").read_text().splitlines()]
    assert any(line["metadata"]["headings"] for line in docx)

    code, printed, _ = run(capsys, "result", ids[files[1]], "--format", "chunks")
    assert code == 0 and printed == written


def test_submit_format_chunks_with_a_pipeline_without_the_stage_uploads_nothing(env, tmp_path, capsys, client):
    code, stdout, stderr = run(capsys, "submit", str(corpus_file(TEXT)), "--format", "chunks", "-o", str(tmp_path))
    assert code == 2 and stdout == ""
    assert "pipeline 'default' has no chunk stage" in stderr
    assert client.get("/api/v1/jobs").get_json()["items"] == []


def test_result_format_chunks_of_a_job_without_chunks_exits_1(env, worker, docpipe, capsys):
    job = docpipe.submit(corpus_file(TEXT))
    docpipe.wait([job["id"]], timeout=60)
    code, stdout, stderr = run(capsys, "result", job["id"], "--format", "chunks")
    assert code == 1 and stdout == "" and "has no chunk stage" in stderr
