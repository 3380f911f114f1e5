"""/metrics after real jobs: counters move where jobs are created and finish, the database's numbers are read at
scrape time, labels stay bounded, and promtool accepts the scrape.

Counters live in the test process for the whole session, so the tests compare a scrape before with one after."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from tests.conftest import corpus_file, multipart_body
from tests.observability.conftest import scrape
from webapp.extensions import db
from webapp.models import Job, WebhookEndpoint
from webapp.services import workers
from webapp.timeutil import utcnow

JOB_ID = re.compile(r"job_[0-9A-Z]{26}")
STAGES = ("ingest", "detect", "parse", "enrich", "output")


def submit(client, data: bytes, filename: str = "note.txt", **form) -> dict:
    body, content_type = multipart_body({"file": (data, filename), **form})
    response = client.post("/api/v1/jobs", data=body, content_type=content_type)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def test_jobs_bytes_and_stage_timings_are_counted_by_pipeline_and_status(client, work_queue, promtool):
    """GIVEN two good documents and a corrupt PDF WHEN they are submitted and the worker code runs them
    THEN created, succeeded and failed jobs, the submitted bytes, the job durations and one timing per stage
    run are counted; no label carries a job id; promtool accepts the scrape."""
    before = scrape(client)
    good = [b"Minutes of the harbour committee. The lighthouse budget was approved.", b"Apples, pears, rye bread."]
    bad = corpus_file("bad_pdf_truncated_derived.pdf").read_bytes()
    ids = [submit(client, data, f"doc{i}.txt")["id"] for i, data in enumerate(good)]
    ids.append(submit(client, bad, "broken.pdf")["id"])
    work_queue()
    statuses = [client.get(f"/api/v1/jobs/{job_id}").get_json()["status"] for job_id in ids]
    assert statuses == ["succeeded", "succeeded", "failed"]
    client.get(f"/api/v1/jobs/{ids[0]}/result")

    after = scrape(client)

    def moved(name: str, **labels: object) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert moved("docpipe_jobs_total", pipeline="default", status="created") == 3
    assert moved("docpipe_jobs_total", pipeline="default", status="succeeded") == 2
    assert moved("docpipe_jobs_total", pipeline="default", status="failed") == 1
    assert moved("docpipe_documents_bytes_total", pipeline="default") == sum(map(len, good)) + len(bad)
    assert moved("docpipe_job_duration_seconds_count", pipeline="default", status="succeeded") == 2
    assert moved("docpipe_job_duration_seconds_count", pipeline="default", status="failed") == 1
    assert moved("docpipe_job_duration_seconds_sum", pipeline="default", status="succeeded") > 0
    # Every stage of the good documents ran; the corrupt PDF stopped in parse, which is timed too.
    for stage in ("ingest", "detect", "parse"):
        assert moved("docpipe_stage_duration_seconds_count", stage=stage) == 3, stage
    for stage in ("enrich", "output"):
        assert moved("docpipe_stage_duration_seconds_count", stage=stage) == 2, stage
    assert after.value("docpipe_stage_duration_seconds_bucket", stage="parse", le="+Inf") >= 3

    # HTTP metrics are grouped by URL rule: one series for every job, never one per job id.
    submits = {"method": "POST", "status": "202", "url_rule": "/api/v1/jobs"}
    assert moved("docpipe_http_request_duration_seconds_count", **submits) == 3
    rules = {labels["url_rule"] for labels in after.series("docpipe_http_request_duration_seconds_count")}
    assert "/api/v1/jobs/<job_id>" in rules and "/api/v1/jobs/<job_id>/result" in rules
    assert not JOB_ID.search(after.text), "a job id appears in the metrics"
    assert after.value("docpipe_build_info", version=__import__("webapp").__version__) == 1

    checked = promtool("check", "metrics", stdin=after.text)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_cancelled_jobs_are_counted(client):
    before = scrape(client)
    job = submit(client, b"never runs")
    assert client.post(f"/api/v1/jobs/{job['id']}/cancel").status_code == 200
    after = scrape(client)
    assert (
        after.value("docpipe_jobs_total", pipeline="default", status="cancelled")
        - before.value("docpipe_jobs_total", pipeline="default", status="cancelled")
        == 1
    )


def test_queue_depth_and_running_come_from_the_database_at_scrape_time(app, client):
    """GIVEN queued jobs of two priorities and one running job THEN the gauges say so, by priority, whatever
    process counted them: they are read from the jobs table when scraped."""
    ids = [submit(client, b"a", priority="7")["id"], submit(client, b"b", priority="7")["id"]]
    ids.append(submit(client, b"c", priority="2")["id"])
    with app.app_context():
        db.session.execute(update(Job).where(Job.id == ids[2]).values(status="running"))
        db.session.commit()
    metrics = scrape(client)
    assert metrics.value("docpipe_queue_depth", priority=7) == 2
    assert metrics.value("docpipe_queue_depth", priority=2) == 0
    assert {labels["priority"] for labels in metrics.series("docpipe_queue_depth")} == {str(p) for p in range(10)}
    assert metrics.value("docpipe_jobs_running") == 1
    assert metrics.value("docpipe_database_up") == 1


def test_worker_heartbeats_and_disabled_webhook_endpoints(app, client):
    with app.app_context():
        workers.beat("worker-host:4242")
        beat_at = db.session.get(workers.Worker, "worker-host:4242").last_heartbeat_at
        db.session.add(WebhookEndpoint(url="https://example.com/hook", events=["*"], secret_encrypted="x"))
        db.session.add(
            WebhookEndpoint(
                url="https://example.com/gone", events=["*"], secret_encrypted="x", enabled=False, disabled_reason="410"
            )
        )
        # A consumer silent for two days is no longer reported.
        workers.beat("old-host:1")
        db.session.execute(
            update(workers.Worker)
            .where(workers.Worker.id == "old-host:1")
            .values(last_heartbeat_at=utcnow() - timedelta(days=2))
        )
        db.session.commit()
    metrics = scrape(client)
    timestamp = metrics.value("docpipe_worker_last_heartbeat_timestamp_seconds", worker="worker-host:4242")
    assert abs(timestamp - beat_at.timestamp()) < 0.01
    assert metrics.series("docpipe_worker_last_heartbeat_timestamp_seconds") == [{"worker": "worker-host:4242"}]
    assert metrics.value("docpipe_workers_alive") == 1
    assert metrics.value("docpipe_webhook_endpoints_disabled") == 1


def test_webhook_delivery_outcomes_are_counted(client):
    from webapp import metrics as app_metrics

    before = scrape(client)
    app_metrics.webhook_delivery("succeeded")
    app_metrics.webhook_delivery("pending")
    app_metrics.webhook_delivery("failed")
    after = scrape(client)
    for outcome in ("succeeded", "retrying", "failed"):
        delta = after.value("docpipe_webhook_deliveries_total", outcome=outcome)
        assert delta - before.value("docpipe_webhook_deliveries_total", outcome=outcome) == 1, outcome


def test_a_database_that_does_not_answer_gives_database_up_0_not_an_error(make_app):
    app = make_app(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    metrics = scrape(app.test_client())
    assert metrics.value("docpipe_database_up") == 0
    assert metrics.series("docpipe_queue_depth") == []


def test_without_the_webhooks_table_the_gauge_is_left_out(make_app, tmp_path):
    """An older schema (before migration 0004) has no webhook_endpoints table: the rest is still reported."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = make_app(DATABASE_URL=url)
    with app.app_context():
        db.metadata.create_all(
            db.engine, tables=[t for t in db.metadata.sorted_tables if not t.name.startswith("webhook")]
        )
    metrics = scrape(app.test_client())
    assert metrics.value("docpipe_database_up") == 1
    assert metrics.value("docpipe_queue_depth", priority=5) == 0
    assert metrics.series("docpipe_webhook_endpoints_disabled") == []
