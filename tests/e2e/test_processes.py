"""End to end with real processes: HTTP → SQLite → SqliteHuey → huey_consumer → result over HTTP."""

from __future__ import annotations

import os
import signal
import sqlite3

import pytest

from tests.conftest import corpus_file, multipart_body

pytestmark = pytest.mark.slow


def test_documents_submitted_over_http_are_processed_by_a_real_consumer(service):
    service.start_web()
    service.start_consumer(workers=2)
    names = [
        "pdf_arxiv_2201.00029.pdf",
        "docx_docling_word_sample.docx",
        "html_tika_testHTML.html",
        "txt_norwich-city.txt",
        "bad_pdf_truncated_derived.pdf",
    ]
    jobs = {name: service.submit(corpus_file(name))["id"] for name in names}
    finished = {name: service.wait_finished(job_id) for name, job_id in jobs.items()}
    for name in names[:-1]:
        assert finished[name]["status"] == "succeeded", (name, finished[name]["error"])
        status, result = service.get(f"/api/v1/jobs/{jobs[name]}/result")
        assert status == 200 and len(result["text"].split()) >= 5
    assert finished["bad_pdf_truncated_derived.pdf"]["error"]["type"] == "corrupt_file"
    health = service.wait_for(
        lambda: (h := service.get("/healthz")[1])["components"]["workers"]["alive"] and h, 10, "a worker heartbeat"
    )
    assert health["components"]["workers"]["alive"] == 1
    assert health["status"] == "ok"


def test_a_killed_consumer_loses_nothing_and_duplicates_nothing(service):
    """GIVEN a consumer working on a 619-page PDF WHEN it is killed with SIGKILL mid-job THEN the job stays
    'running' until its lease expires, the periodic recovery of a new consumer requeues it, and it completes
    exactly once: one result, attempt 2, the dead attempt's stages marked failed."""
    service.env["DOCPIPE_JOB_LEASE_SECONDS"] = "3"
    service.env["DOCPIPE_RECOVERY_INTERVAL_SECONDS"] = "1"
    service.start_web()
    victim = service.start_consumer()
    job_id = service.submit(corpus_file("pdf_large_DA-619p.pdf"))["id"]
    service.wait_for(lambda: service.job(job_id)["current_stage"] in ("parse", "enrich"), 60, "the parse stage")
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    assert service.job(job_id)["status"] == "running"
    # The new consumer's heartbeat runs the recovery every second; it requeues the job once the lease lapses.
    service.start_consumer()
    job = service.wait_finished(job_id, timeout=120)
    assert job["status"] == "succeeded", job["error"]
    assert job["attempts"] == 2
    assert {stage["status"] for stage in job["stages"]} == {"succeeded"}

    with sqlite3.connect(service.data_dir / "docpipe.db") as conn:
        assert conn.execute("SELECT count(*) FROM results WHERE job_id = ?", (job_id,)).fetchone()[0] == 1
        first_attempt = conn.execute(
            "SELECT name, status FROM job_stage_runs WHERE job_id = ? AND attempt = 1 ORDER BY id", (job_id,)
        ).fetchall()
    assert dict(first_attempt)["ingest"] == "succeeded"
    assert "failed" in dict(first_attempt).values()
    status, result = service.get(f"/api/v1/jobs/{job_id}/result")
    assert status == 200 and result["metadata"]["page_count"] == 619


def test_keys_from_the_command_line_work_over_http(service):
    """The README's promise: a key from `flask api-keys create` submits a job; no key → 401; a viewer's → 403."""
    service.start_web()
    service.flask(
        "users", "create", "--email", "viewer@example.com", "--password", "viewer-password", "--role", "viewer"
    )
    viewer_key = service.flask("api-keys", "create", "--email", "viewer@example.com", "--name", "read").splitlines()[-1]
    document = corpus_file("txt_norwich-city.txt")
    assert service.submit(document)["status"] == "queued"
    admin_key, service.api_key = service.api_key, None
    body, content_type = multipart_body({"file": (document.read_bytes(), document.name)})
    anonymous = service.request("POST", "/api/v1/jobs", body, {"Content-Type": content_type})
    assert anonymous[0] == 401
    as_viewer = service.request(
        "POST", "/api/v1/jobs", body, {"Content-Type": content_type, "Authorization": f"Bearer {viewer_key}"}
    )
    assert as_viewer[0] == 403
    assert service.request("GET", "/api/v1/jobs", headers={"X-API-Key": viewer_key})[0] == 200
    service.api_key = admin_key
