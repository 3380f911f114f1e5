"""Jobs API through the Flask test client, with queued jobs run by the real worker code in-process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Accounts, corpus_file, multipart_body


def submit(client, data: bytes, filename: str = "note.txt", **form):
    body, content_type = multipart_body({"file": (data, filename), **form})
    return client.post("/api/v1/jobs", data=body, content_type=content_type)


def test_submit_returns_202_with_location_and_queued_job(client):
    response = submit(client, b"Hello Docpipe. This is a plain text document.")
    assert response.status_code == 202
    job = response.get_json()
    assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert job["status"] == "queued"
    assert job["pipeline"]["name"] == "default" and job["pipeline"]["version"] == 1
    assert job["size_bytes"] == 45
    assert len(job["sha256"]) == 64
    assert job["mime_type"] is None
    assert [stage["name"] for stage in job["stages"]] == ["ingest", "detect", "parse", "enrich", "output"]
    assert all(stage["status"] == "pending" for stage in job["stages"])
    assert job["links"] == {"self": f"/api/v1/jobs/{job['id']}", "result": f"/api/v1/jobs/{job['id']}/result"}


def test_job_runs_and_result_comes_back_in_three_formats(client, work_queue):
    job = submit(client, b"Quarterly report\n\nRevenue grew by nine percent in the third quarter.").get_json()
    pending = client.get(f"/api/v1/jobs/{job['id']}/result")
    assert pending.status_code == 409
    assert pending.content_type == "application/problem+json"
    assert pending.get_json()["status"] == 409 and pending.get_json()["job_status"] == "queued"

    work_queue()

    done = client.get(f"/api/v1/jobs/{job['id']}").get_json()
    assert done["status"] == "succeeded"
    assert done["progress"] == 1.0 and done["attempts"] == 1
    assert done["mime_type"] == "text/plain"
    assert {stage["status"] for stage in done["stages"]} == {"succeeded"}
    assert all(stage["duration_ms"] is not None for stage in done["stages"])
    result = client.get(f"/api/v1/jobs/{job['id']}/result").get_json()
    assert "Revenue grew by nine percent" in result["text"]
    assert result["job_id"] == job["id"]
    assert result["metadata"]["mime_type"] == "text/plain"
    assert result["metadata"]["word_count"] == 11
    assert set(result["timings"]) == {"ingest", "detect", "parse", "enrich", "output"}
    assert 0.0 <= result["quality"]["score"] <= 1.0
    text = client.get(f"/api/v1/jobs/{job['id']}/result?format=text")
    assert text.content_type.startswith("text/plain") and "nine percent" in text.get_data(as_text=True)
    markdown = client.get(f"/api/v1/jobs/{job['id']}/result?format=markdown")
    assert markdown.content_type.startswith("text/markdown") and "nine percent" in markdown.get_data(as_text=True)


def test_real_pdf_and_docx_from_the_corpus_succeed(client, work_queue):
    pdf = submit(client, corpus_file("pdf_arxiv_2201.00029.pdf").read_bytes(), "paper.pdf").get_json()
    docx = submit(client, corpus_file("docx_docling_word_sample.docx").read_bytes(), "sample.docx").get_json()
    work_queue()
    pdf_job = client.get(f"/api/v1/jobs/{pdf['id']}").get_json()
    docx_job = client.get(f"/api/v1/jobs/{docx['id']}").get_json()
    assert pdf_job["status"] == "succeeded", pdf_job["error"]
    assert docx_job["status"] == "succeeded", docx_job["error"]
    assert pdf_job["mime_type"] == "application/pdf"
    assert docx_job["mime_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    pdf_result = client.get(f"/api/v1/jobs/{pdf['id']}/result").get_json()
    assert pdf_result["metadata"]["page_count"] > 1
    assert len(pdf_result["text"].split()) > 1000


def test_mislabelled_file_is_detected_from_content(client, work_queue):
    """GIVEN HTML bytes named .pdf WHEN processed THEN detect trusts the bytes, not the name."""
    job = submit(client, corpus_file("bad_pdf_is_html_derived.pdf").read_bytes(), "report.pdf").get_json()
    work_queue()
    assert client.get(f"/api/v1/jobs/{job['id']}").get_json()["mime_type"] == "text/html"


def test_bad_files_fail_with_typed_errors_and_the_stage(client, work_queue):
    cases = {
        "bad_pdf_zero_bytes_derived.pdf": ("empty_document", "ingest"),
        "bad_pdf_truncated_derived.pdf": ("corrupt_file", "parse"),
        "bad_pdf_encrypted_userpw_libreoffice.pdf": ("encrypted_file", "parse"),
        "bad_docx_tika_protected_passtika.docx": ("encrypted_file", "detect"),
        "bad_docx_truncated_derived.docx": ("corrupt_file", None),
    }
    ids = {name: submit(client, corpus_file(name).read_bytes(), name).get_json()["id"] for name in cases}
    good = submit(client, b"A healthy document after the bad ones.").get_json()["id"]
    work_queue()
    for name, (error_type, stage) in cases.items():
        job = client.get(f"/api/v1/jobs/{ids[name]}").get_json()
        assert job["status"] == "failed", name
        assert job["error"]["type"] == error_type, (name, job["error"])
        assert job["error"]["message"]
        if stage:
            assert job["error"]["stage"] == stage, (name, job["error"])
        failed = [s for s in job["stages"] if s["status"] == "failed"]
        assert [s["name"] for s in failed] == [job["error"]["stage"]]
        assert client.get(f"/api/v1/jobs/{ids[name]}/result").status_code == 409
    assert client.get(f"/api/v1/jobs/{good}").get_json()["status"] == "succeeded"


def test_submit_validation_errors_name_the_field(client):
    missing = client.post("/api/v1/jobs", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert missing.content_type == "application/problem+json"
    assert missing.get_json()["errors"][0]["field"] == "file"
    bad_priority = submit(client, b"x", priority="12")
    assert bad_priority.status_code == 422 and bad_priority.get_json()["errors"][0]["field"] == "priority"
    bad_labels = submit(client, b"x", labels="[1, 2]")
    assert bad_labels.status_code == 422 and bad_labels.get_json()["errors"][0]["field"] == "labels"
    unknown = submit(client, b"x", pipeline="nope")
    assert unknown.status_code == 404 and unknown.content_type == "application/problem+json"
    nameless = submit(client, b"x", filename="")
    assert nameless.status_code == 422 and nameless.get_json()["errors"][0]["field"] == "file"


def test_priority_and_labels_are_kept(client):
    job = submit(client, b"labelled", priority="9", labels=json.dumps({"customer": "acme", "batch": 7})).get_json()
    assert job["priority"] == 9
    assert job["labels"] == {"customer": "acme", "batch": 7}


def test_upload_over_the_limit_is_413_problem(make_app):
    app = make_app(MAX_UPLOAD_MB=1)
    with app.app_context():
        from webapp.services.pipelines import ensure_default_pipeline

        ensure_default_pipeline()
    response = submit(Accounts(app).client("operator"), b"x" * (1024 * 1024 + 200 * 1024))
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert "1 MiB" in response.get_json()["detail"]


def test_unknown_job_is_404_problem(client):
    for path in ("/api/v1/jobs/job_nope", "/api/v1/jobs/job_nope/result"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["title"] == "Not found"
    assert client.post("/api/v1/jobs/job_nope/cancel").status_code == 404


def test_list_filters_and_cursor_pagination(client, work_queue):
    ids = [submit(client, f"document number {i}".encode()).get_json()["id"] for i in range(5)]
    first = client.get("/api/v1/jobs?limit=2")
    page = first.get_json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    assert page["next_cursor"]
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(f"/api/v1/jobs?limit=2&cursor={page['next_cursor']}").get_json()
    assert [item["id"] for item in second["items"]] == ids[::-1][2:4]
    third = client.get(f"/api/v1/jobs?limit=2&cursor={second['next_cursor']}").get_json()
    assert [item["id"] for item in third["items"]] == ids[:1]
    assert third["next_cursor"] is None

    client.post(f"/api/v1/jobs/{ids[0]}/cancel")
    cancelled = client.get("/api/v1/jobs?status=cancelled").get_json()["items"]
    assert [item["id"] for item in cancelled] == [ids[0]]
    assert len(client.get("/api/v1/jobs?pipeline=default").get_json()["items"]) == 5
    assert client.get("/api/v1/jobs?pipeline=other").get_json()["items"] == []
    created = client.get(f"/api/v1/jobs/{ids[0]}").get_json()["created_at"]
    assert len(client.get(f"/api/v1/jobs?created_after={created}").get_json()["items"]) == 4


def test_list_rejects_bad_filters(client):
    for query, field in (
        ("status=done", "status"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("created_after=yesterday", "created_after"),
        ("cursor=%%%", "cursor"),
    ):
        response = client.get(f"/api/v1/jobs?{query}")
        assert response.status_code == 422, query
        assert response.get_json()["errors"][0]["field"] == field


def test_cancel_retry_and_their_conflicts(client, work_queue):
    job_id = submit(client, b"to be cancelled").get_json()["id"]
    cancelled = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert again.status_code == 409 and again.get_json()["job_status"] == "cancelled"
    work_queue()
    assert client.get(f"/api/v1/jobs/{job_id}").get_json()["status"] == "cancelled"

    retried = client.post(f"/api/v1/jobs/{job_id}/retry")
    assert retried.status_code == 202 and retried.get_json()["status"] == "queued"
    work_queue()
    assert client.get(f"/api/v1/jobs/{job_id}").get_json()["status"] == "succeeded"
    assert client.post(f"/api/v1/jobs/{job_id}/retry").status_code == 409
    assert client.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 409


def test_delete_removes_job_result_and_stored_file(app, client, work_queue):
    job_id = submit(client, b"short-lived document").get_json()["id"]
    work_queue()
    storage = Path(app.config["STORAGE_DIR"])
    assert [path for path in storage.rglob("*") if path.is_file()]
    assert client.delete(f"/api/v1/jobs/{job_id}").status_code == 204
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}/result").status_code == 404
    assert [path for path in storage.rglob("*") if path.is_file()] == []


def test_backpressure_refuses_submissions_while_the_queue_is_full(make_app):
    """GIVEN DOCPIPE_MAX_QUEUED=2 and two waiting jobs WHEN a third is submitted THEN 429 problem+json with
    Retry-After and nothing stored; once the queue drains, submissions are accepted again."""
    app = make_app(MAX_QUEUED=2, BUSY_RETRY_AFTER_SECONDS=7)
    with app.app_context():
        from webapp.services.pipelines import ensure_default_pipeline

        ensure_default_pipeline()
    client = Accounts(app).client("operator")
    assert submit(client, b"one").status_code == 202
    assert submit(client, b"two").status_code == 202
    refused = submit(client, b"three")
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert refused.headers["Retry-After"] == "7" and refused.get_json()["queued"] == 2
    assert len(client.get("/api/v1/jobs").get_json()["items"]) == 2
    with app.app_context():
        from webapp.services.processing import process_job

        for item in client.get("/api/v1/jobs").get_json()["items"]:
            process_job(item["id"], "test-worker")
    assert submit(client, b"three again").status_code == 202
