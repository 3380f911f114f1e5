"""The cheap paths of the job API: one query for a job with its stage runs, a queue count not repeated."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import event, update

from webapp.extensions import db
from webapp.models import Job, JobStageRun
from webapp.services import jobs
from webapp.services.errors import NotFoundError


def _submit(app, text: bytes = b"A small document for the hot paths.") -> str:
    with app.test_request_context():
        job_id = jobs.submit_job(io.BytesIO(text), "doc.txt", None).id
        db.session.remove()
    return job_id


class _Statements:
    """Counts the SQL statements the app's engine runs while active."""

    def __init__(self, engine) -> None:
        self.engine, self.seen = engine, []

    def _record(self, _conn, _cursor, statement, *_args) -> None:
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def count(self, fragment: str) -> int:
        return sum(fragment in statement for statement in self.seen)


def test_a_job_comes_with_the_stage_runs_of_its_latest_attempt_only(app):
    """GIVEN a job on its 2nd attempt, attempt 1's stage runs still stored WHEN it is read with its runs
    THEN the runs are attempt 2's, in the order they were recorded, the same as latest_stage_runs gives."""
    job_id = _submit(app)
    with app.app_context():
        db.session.add_all(
            [JobStageRun(job_id=job_id, attempt=1, name=name, status="failed") for name in ("ingest", "detect")]
            + [JobStageRun(job_id=job_id, attempt=2, name=name, status="succeeded") for name in ("ingest", "parse")]
        )
        db.session.execute(update(Job).where(Job.id == job_id).values(attempts=2, status="running"))
        db.session.commit()
        db.session.remove()
        job, runs = jobs.get_job_with_runs(job_id)
        assert (job.attempts, job.status) == (2, "running")
        expected = [(2, "ingest", "succeeded"), (2, "parse", "succeeded")]
        assert [(run.attempt, run.name, run.status) for run in runs] == expected
        listed = jobs.latest_stage_runs([job])[job_id]
        assert [(run.attempt, run.name, run.status) for run in listed] == expected


def test_a_job_never_run_has_no_stage_runs_and_an_unknown_one_is_not_found(app):
    job_id = _submit(app)
    with app.app_context():
        job, runs = jobs.get_job_with_runs(job_id)
        assert (job.id, job.status, runs) == (job_id, "queued", [])
        with pytest.raises(NotFoundError):
            jobs.get_job_with_runs("job_missing")


def test_the_queue_is_counted_once_a_second_far_below_its_limit_and_every_time_near_it(make_app, app):
    """GIVEN DOCPIPE_MAX_QUEUED=6 WHEN 5 jobs are submitted within a second THEN the waiting jobs are counted
    for the 1st (no count yet), not for the 2nd and 3rd (at most 3 of 6 would wait), and for each later one."""
    app = make_app(MAX_QUEUED=6)
    counts = []
    with app.app_context(), _Statements(db.engine) as statements:
        for _ in range(5):
            before = statements.count("count(")
            _submit(app)
            counts.append(statements.count("count(") - before)
    assert counts == [1, 0, 0, 1, 1]


def test_a_batch_reads_the_webhook_endpoints_once_and_every_job_gets_its_delivery(app):
    """GIVEN an endpoint subscribed to job.created WHEN three files are submitted in one batch THEN each job
    has its delivery, and the endpoints were read once for the transaction, not once per event."""
    from webapp.models import WebhookDelivery
    from webapp.services import webhooks

    app.config.update(WEBHOOK_ALLOW_PRIVATE=True)
    with app.test_request_context():
        endpoint, _secret = webhooks.create_endpoint({"url": "http://127.0.0.1:9/hook", "events": ["job.created"]})
        uploads = [jobs.Upload(io.BytesIO(b"Batch document %d." % i), f"doc{i}.txt") for i in range(3)]
        with _Statements(db.engine) as statements:
            created = jobs.submit_jobs(uploads, None)
        assert statements.count("FROM webhook_endpoints") == 1
        deliveries = db.session.query(WebhookDelivery).filter_by(endpoint_id=endpoint.id).all()
        assert len(deliveries) == len(created) == 3
        db.session.remove()
