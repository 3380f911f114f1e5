"""JSON shapes of the API (../shared/API.md), shared by the dashboard."""

from __future__ import annotations

from typing import Any

from webapp.models import (
    Job,
    JobStageRun,
    Pipeline,
    PipelineVersion,
    Result,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from webapp.services.chunks import has_chunk_stage
from webapp.services.results import with_ids
from webapp.timeutil import isoformat

API = "/api/v1"


def pipeline_ref(job: Job) -> dict[str, Any]:
    return {"id": job.pipeline_id, "name": job.pipeline.name, "version": job.pipeline_version.version}


def job_to_dict(job: Job, runs: list[JobStageRun] | None) -> dict[str, Any]:
    if runs:
        stages = [_stage_run(run) for run in runs]
    else:
        stages = [
            {"name": s["name"], "status": "pending", "started_at": None, "finished_at": None, "duration_ms": None}
            for s in job.pipeline_version.stages
        ]
    return {
        "id": job.id,
        "status": job.status,
        "pipeline": pipeline_ref(job),
        "priority": job.priority,
        "labels": job.labels or {},
        "filename": job.filename,
        "size_bytes": job.size_bytes,
        "sha256": job.sha256,
        "mime_type": job.mime_type,
        "created_at": isoformat(job.created_at),
        "started_at": isoformat(job.started_at),
        "finished_at": isoformat(job.finished_at),
        "attempts": job.attempts,
        "current_stage": job.current_stage,
        "progress": round(job.progress or 0.0, 3),
        "stages": stages,
        "error": job.error,
        "links": _job_links(job),
    }


def _job_links(job: Job) -> dict[str, str]:
    links = {"self": f"{API}/jobs/{job.id}", "result": f"{API}/jobs/{job.id}/result"}
    if has_chunk_stage(job):
        links["chunks"] = f"{API}/jobs/{job.id}/chunks"
    return links


def _stage_run(run: JobStageRun) -> dict[str, Any]:
    return {
        "name": run.name,
        "status": run.status,
        "started_at": isoformat(run.started_at),
        "finished_at": isoformat(run.finished_at),
        "duration_ms": run.duration_ms,
    }


def result_to_dict(job: Job, result: Result) -> dict[str, Any]:
    """The result object; ``chunks`` only when the job's pipeline has the chunk stage (other results keep the
    representation, and so the ETags, they had before the stage existed)."""
    elements, tables = with_ids(result.elements or [], result.tables or [])
    data = {
        "job_id": job.id,
        "pipeline": pipeline_ref(job),
        "text": result.text,
        "markdown": result.markdown,
        "elements": elements,
        "tables": tables,
        "pages": result.pages or [],
        "metadata": result.doc_metadata,
        "language": result.language,
        "quality": result.quality,
        "timings": result.timings,
    }
    if has_chunk_stage(job):
        data["chunks"] = result.chunks or []
    return data


def pipeline_to_dict(pipeline: Pipeline, version: PipelineVersion) -> dict[str, Any]:
    return {
        "id": pipeline.id,
        "name": pipeline.name,
        "version": version.version,
        "description": version.description,
        "default_priority": version.default_priority,
        "stages": version.stages,
        "created_at": isoformat(pipeline.created_at),
        "updated_at": isoformat(version.created_at),
        "links": {"self": f"{API}/pipelines/{pipeline.id}", "versions": f"{API}/pipelines/{pipeline.id}/versions"},
    }


def webhook_to_dict(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """A webhook endpoint; never its secret (create and rotate add ``secret`` to their own answer)."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_at": isoformat(endpoint.disabled_at),
        "failing_since": isoformat(endpoint.failing_since),
        "previous_secret_expires_at": isoformat(endpoint.previous_secret_expires_at),
        "created_at": isoformat(endpoint.created_at),
        "updated_at": isoformat(endpoint.updated_at),
        "links": {"self": f"{API}/webhooks/{endpoint.id}", "deliveries": f"{API}/webhooks/{endpoint.id}/deliveries"},
    }


def delivery_to_dict(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhook_id": delivery.endpoint_id,
        "event_id": delivery.message_id,
        "event_type": delivery.message.type,
        "status": delivery.status,
        "attempts": [
            {
                "at": isoformat(attempt.at),
                "status_code": attempt.status_code,
                "duration_ms": attempt.duration_ms,
                "error": attempt.error,
                "response_body": attempt.response_body,
            }
            for attempt in attempts
        ],
        "next_attempt_at": isoformat(delivery.next_attempt_at),
        "created_at": isoformat(delivery.created_at),
    }
