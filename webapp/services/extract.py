"""In-process extraction for the ``extract`` command: no server, no queue, no job record."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.pipeline.config import StageConfig, default_stages, stages_from_json
from webapp.pipeline.document import Source
from webapp.pipeline.sandbox import Limits, run_isolated
from webapp.services.errors import NotFoundError
from webapp.services.pipelines import DEFAULT_PIPELINE, get_pipeline


def resolve_stages(name: str) -> tuple[dict[str, Any], list[StageConfig]]:
    """The named pipeline's current stages; ``default`` works even before the database is set up."""
    try:
        pipeline = get_pipeline(name)
        version = pipeline.current()
        return {"id": pipeline.id, "name": pipeline.name, "version": version.version}, stages_from_json(version.stages)
    except SQLAlchemyError:
        db.session.rollback()
        if name != DEFAULT_PIPELINE:
            raise NotFoundError(f"no pipeline {name!r} (is the database set up? run: make migrate)") from None
    except NotFoundError:
        if name != DEFAULT_PIPELINE:
            raise
    return {"id": None, "name": DEFAULT_PIPELINE, "version": None}, default_stages()


def extract_file(path: Path, stages: list[StageConfig]) -> dict[str, Any]:
    """Run the stages on one local file; raises PipelineFailed on a typed failure."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    source = Source(path=path, filename=path.name, size_bytes=path.stat().st_size, sha256=digest.hexdigest())
    limits = Limits.from_stages(stages, max_result_mb=int(current_app.config["MAX_RESULT_MB"]))
    return run_isolated(source, stages, limits=limits)
