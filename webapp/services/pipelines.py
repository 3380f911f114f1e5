"""Pipelines: create, version on update, soft-delete; the ``default`` pipeline is seeded at setup."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models import Job, Pipeline, PipelineVersion
from webapp.models.job import QUEUED, RUNNING
from webapp.pipeline.config import FieldError, default_stages, validate_stages
from webapp.services import audit
from webapp.services.errors import ConflictError, NotFoundError, PreconditionFailedError, ValidationFailed
from webapp.timeutil import utcnow

DEFAULT_PIPELINE = "default"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


def get_pipeline(ref: str) -> Pipeline:
    """Find a live pipeline by id or by name."""
    pipeline = db.session.execute(
        select(Pipeline).where(Pipeline.deleted_at.is_(None), (Pipeline.id == ref) | (Pipeline.name == ref))
    ).scalar_one_or_none()
    if pipeline is None:
        raise NotFoundError(f"no pipeline {ref!r}")
    return pipeline


def list_pipelines() -> list[Pipeline]:
    return list(
        db.session.execute(select(Pipeline).where(Pipeline.deleted_at.is_(None)).order_by(Pipeline.name)).scalars()
    )


def list_versions(pipeline: Pipeline) -> list[PipelineVersion]:
    return list(
        db.session.execute(
            select(PipelineVersion).filter_by(pipeline_id=pipeline.id).order_by(PipelineVersion.version.desc())
        ).scalars()
    )


def validate_body(body: Any, *, require_name: bool = True) -> dict[str, Any]:
    """Check a create/update body; raise ValidationFailed naming every bad field."""
    errors: list[FieldError] = []
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    for key in sorted(set(body) - {"name", "description", "default_priority", "stages"}):
        errors.append(FieldError(key, "unknown field"))
    name = body.get("name")
    if (require_name or name is not None) and (not isinstance(name, str) or not _NAME.match(name)):
        errors.append(FieldError("name", "required: 1-100 characters, lowercase letters, digits, '.', '_' or '-'"))
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        errors.append(FieldError("description", "must be a string of at most 2000 characters"))
    priority = body.get("default_priority", 5)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 9:
        errors.append(FieldError("default_priority", "must be an integer from 0 to 9"))
    stages, stage_errors = validate_stages(body.get("stages"), "stages")
    errors.extend(stage_errors)
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name,
        "description": description,
        "default_priority": priority,
        "stages": [stage.to_dict() for stage in stages],
    }


def create_pipeline(body: Any) -> Pipeline:
    data = validate_body(body)
    _ensure_name_free(data["name"])
    now = utcnow()
    pipeline = Pipeline(id=new_id("pl"), name=data["name"], current_version=1, created_at=now, updated_at=now)
    db.session.add(pipeline)
    db.session.flush()
    db.session.add(_version(pipeline, 1, data))
    audit.record("pipeline.created", "pipeline", pipeline.id, details={"name": pipeline.name, "version": 1})
    db.session.commit()
    return pipeline


def update_pipeline(pipeline: Pipeline, body: Any, expected_versions: Collection[int] | None = None) -> Pipeline:
    """Saves a new version; jobs keep the version they were submitted with. With ``expected_versions`` (the
    API's If-Match) the update happens only if one of them is still the current version, checked under the lock."""
    data = validate_body(body, require_name=False)
    if data["name"] and data["name"] != pipeline.name:
        if pipeline.name == DEFAULT_PIPELINE:
            raise ValidationFailed([FieldError("name", "the default pipeline cannot be renamed")])
        _ensure_name_free(data["name"])
        pipeline.name = data["name"]
    # Lock the row so two concurrent updates cannot both write version N+1.
    # populate_existing: the version read before the lock may be stale by the time we hold it.
    locked = db.session.execute(
        select(Pipeline).filter_by(id=pipeline.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if expected_versions is not None and locked.current_version not in expected_versions:
        db.session.rollback()
        raise PreconditionFailedError(
            f"the pipeline changed: it is at version {locked.current_version} now; read it again",
            current_version=locked.current_version,
        )
    locked.current_version += 1
    locked.updated_at = utcnow()
    db.session.add(_version(locked, locked.current_version, data))
    audit.record(
        "pipeline.updated", "pipeline", locked.id, details={"name": locked.name, "version": locked.current_version}
    )
    db.session.commit()
    return locked


def delete_pipeline(pipeline: Pipeline) -> None:
    if pipeline.name == DEFAULT_PIPELINE:
        raise ConflictError("the default pipeline cannot be deleted")
    active = db.session.execute(
        select(func.count()).select_from(Job).where(Job.pipeline_id == pipeline.id, Job.status.in_((QUEUED, RUNNING)))
    ).scalar_one()
    if active:
        raise ConflictError(f"{active} job(s) of this pipeline are queued or running", active_jobs=active)
    pipeline.deleted_at = utcnow()
    audit.record("pipeline.deleted", "pipeline", pipeline.id, details={"name": pipeline.name})
    db.session.commit()


def ensure_default_pipeline() -> Pipeline:
    """Idempotent: creates ``default`` with every stage at its defaults when it does not exist."""
    existing = db.session.execute(
        select(Pipeline).where(Pipeline.deleted_at.is_(None), Pipeline.name == DEFAULT_PIPELINE)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    return create_pipeline(
        {
            "name": DEFAULT_PIPELINE,
            "description": "Every stage with its default options.",
            "default_priority": 5,
            "stages": [stage.to_dict() for stage in default_stages()],
        }
    )


def _ensure_name_free(name: str) -> None:
    taken = db.session.execute(
        select(Pipeline.id).where(Pipeline.deleted_at.is_(None), Pipeline.name == name)
    ).scalar_one_or_none()
    if taken:
        raise ConflictError(f"a pipeline named {name!r} already exists", field="name")


def _version(pipeline: Pipeline, number: int, data: dict[str, Any]) -> PipelineVersion:
    return PipelineVersion(
        pipeline_id=pipeline.id,
        version=number,
        description=data["description"],
        default_priority=data["default_priority"],
        stages=data["stages"],
    )
