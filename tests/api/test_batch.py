"""POST /api/v1/jobs with several ``file`` parts: every job at once, all or nothing, within the limits."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from tests.api.multipart import post_files
from tests.conftest import Accounts, corpus_file
from webapp.extensions import db
from webapp.models import Job, StoredFile


def counts(app) -> tuple[int, int, int]:
    """Jobs, stored-file rows and files in the blob store."""
    with app.app_context():
        jobs = db.session.execute(select(func.count()).select_from(Job)).scalar_one()
        stored = db.session.execute(select(func.count()).select_from(StoredFile)).scalar_one()
        db.session.remove()
    blobs = [p for p in Path(app.config["STORAGE_DIR"]).rglob("*") if p.is_file()]
    return jobs, stored, len(blobs)


def fresh_app(make_app, **overrides):
    app = make_app(**overrides)
    with app.app_context():
        from tests.conftest import _empty_tables
        from webapp.services.pipelines import ensure_default_pipeline

        _empty_tables()
        ensure_default_pipeline()
        db.session.remove()
    return app


def test_several_files_make_several_jobs_with_the_same_settings(app, client, work_queue):
    files = [
        (corpus_file("pdf_arxiv_2201.00029.pdf").read_bytes(), "paper.pdf"),
        (corpus_file("docx_docling_word_sample.docx").read_bytes(), "sample.docx"),
        (b"Plain minutes of a meeting.", "minutes.txt"),
    ]
    response = post_files(client, files, priority="8", labels=json.dumps({"batch": "nov"}))
    assert response.status_code == 202
    assert "Location" not in response.headers
    body = response.get_json()
    assert set(body) == {"items", "next_cursor"} and body["next_cursor"] is None
    items = body["items"]
    assert [job["filename"] for job in items] == ["paper.pdf", "sample.docx", "minutes.txt"]
    assert {job["priority"] for job in items} == {8}
    assert all(job["labels"] == {"batch": "nov"} and job["status"] == "queued" for job in items)
    assert len({job["id"] for job in items}) == 3
    work_queue()
    for job in items:
        done = client.get(f"/api/v1/jobs/{job['id']}").get_json()
        assert done["status"] == "succeeded", done["error"]
    assert counts(app) == (3, 3, 3)


def test_one_file_still_answers_with_the_job_itself(client):
    response = post_files(client, [(b"just one", "one.txt")])
    assert response.status_code == 202
    assert response.headers["Location"] == f"/api/v1/jobs/{response.get_json()['id']}"
    assert response.get_json()["filename"] == "one.txt"


def test_a_bad_part_fails_the_whole_batch(app, client):
    """GIVEN three parts, the second without a file name WHEN submitted THEN 422 naming that part, and
    no job, row or stored file is left from the good ones."""
    files = [(b"good one", "a.txt"), (b"nameless", ""), (b"good two", "c.txt")]
    refused = post_files(client, files)
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert refused.get_json()["errors"][0]["field"] == "file[1]"
    assert counts(app) == (0, 0, 0)
    bad_priority = post_files(client, [(b"a", "a.txt"), (b"b", "b.txt")], priority="high")
    assert bad_priority.status_code == 422 and counts(app) == (0, 0, 0)
    unknown = post_files(client, [(b"a", "a.txt"), (b"b", "b.txt")], pipeline="nope")
    assert unknown.status_code == 404 and counts(app) == (0, 0, 0)


def test_one_file_too_large_fails_the_batch_and_removes_what_was_stored(make_app):
    app = fresh_app(make_app, MAX_UPLOAD_MB=1)
    client = Accounts(app).client("operator")
    files = [(b"small", "small.txt"), (b"x" * (1024 * 1024 + 1), "big.bin")]
    refused = post_files(client, files)
    assert refused.status_code == 413 and refused.content_type == "application/problem+json"
    assert refused.get_json()["filename"] == "big.bin"
    assert counts(app) == (0, 0, 0)


def test_at_most_max_batch_files_parts(make_app):
    app = fresh_app(make_app, MAX_BATCH_FILES=3)
    client = Accounts(app).client("operator")
    too_many = post_files(client, [(f"doc {i}".encode(), f"{i}.txt") for i in range(4)])
    assert too_many.status_code == 422
    assert too_many.get_json()["errors"][0]["field"] == "file"
    assert "at most 3" in too_many.get_json()["errors"][0]["message"]
    assert counts(app) == (0, 0, 0)
    assert post_files(client, [(f"doc {i}".encode(), f"{i}.txt") for i in range(3)]).status_code == 202


def test_backpressure_counts_every_file_of_a_batch(make_app):
    """GIVEN DOCPIPE_MAX_QUEUED=3 and one waiting job WHEN three more come in one request THEN 429 and none
    is created; two fit. A batch larger than the whole queue can never fit: 422, not an endless 429."""
    app = fresh_app(make_app, MAX_QUEUED=3, BUSY_RETRY_AFTER_SECONDS=5)
    client = Accounts(app).client("operator")
    assert post_files(client, [(b"waiting", "w.txt")]).status_code == 202
    refused = post_files(client, [(b"1", "1.txt"), (b"2", "2.txt"), (b"3", "3.txt")])
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"
    assert counts(app)[0] == 1
    assert post_files(client, [(b"1", "1.txt"), (b"2", "2.txt")]).status_code == 202
    huge = post_files(client, [(f"{i}".encode(), f"{i}.txt") for i in range(4)])
    assert huge.status_code == 422 and huge.get_json()["errors"][0]["field"] == "file"
    assert counts(app)[0] == 3
