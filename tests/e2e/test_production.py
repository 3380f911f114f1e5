"""Production mode with real processes: PostgreSQL, Redis (PriorityRedisHuey), several consumers."""

from __future__ import annotations

import pytest

from tests.conftest import corpus_file

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["production", "service"])
def test_priority_nine_overtakes_fifty_waiting_jobs(request, backend):
    """GIVEN one consumer with one worker busy on a 619-page PDF and 50 priority-0 jobs waiting
    WHEN a priority-9 job is submitted last THEN it is the next one to start (Redis and SQLite queues)."""
    service = request.getfixturevalue(backend)
    service.start_web()
    service.start_consumer(workers=1)
    busy = service.submit(corpus_file("pdf_large_DA-619p.pdf"), priority="5")["id"]
    service.wait_for(lambda: service.job(busy)["status"] == "running", 30, "the big job to start")
    small = corpus_file("csv_stanley-cups.csv")
    waiting = [service.submit(small, priority="0")["id"] for _ in range(50)]
    urgent = service.submit(small, priority="9")["id"]
    assert service.job(busy)["status"] == "running", "the worker must still be busy for this test to mean much"
    jobs = {job_id: service.wait_finished(job_id, timeout=180) for job_id in [busy, *waiting, urgent]}
    assert {job["status"] for job in jobs.values()} == {"succeeded"}
    order = sorted(jobs, key=lambda job_id: jobs[job_id]["started_at"])
    assert order[0] == busy
    assert order[1] == urgent, [jobs[j]["priority"] for j in order[:5]]


def test_several_consumers_share_the_work_and_each_job_runs_once(production):
    """GIVEN three consumer processes with two workers each on PostgreSQL + Redis WHEN 60 jobs are submitted
    THEN all succeed, more than one process did work, and no job ran twice (one attempt, one result)."""
    production.start_web()
    consumers = [production.start_consumer(workers=2) for _ in range(3)]
    names = [
        "docx_docling_lorem_ipsum.docx",
        "html_docling_example_03.html",
        "csv_docling_csv-comma.csv",
        "pdf_docling_multi_page.pdf",
        "txt_norwich-city.txt",
        "md_docling_wiki.md",
    ]
    ids = [production.submit(corpus_file(names[n % len(names)]))["id"] for n in range(60)]
    jobs = [production.wait_finished(job_id, timeout=120) for job_id in ids]
    assert {job["status"] for job in jobs} == {"succeeded"}
    assert {job["attempts"] for job in jobs} == {1}
    health = production.get("/healthz")[1]
    assert health["components"]["workers"]["alive"] == len(consumers)
    assert health["components"]["queue"]["backend"] == "redis"
    status, events = production.get("/api/v1/audit?action=job.started&limit=500")
    assert status == 200
    workers = {event["details"]["worker"].rsplit(":", 1)[-1] for event in events["items"]}
    assert len(workers) > 1
    assert len(events["items"]) == 60
