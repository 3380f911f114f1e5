"""Pipelines: list, read, create, update (new version), versions, delete."""

from __future__ import annotations

from flask import jsonify

from webapp.api import bp, conditional, json_body
from webapp.api import schemas as s
from webapp.api.openapi import Answer, doc
from webapp.api.serializers import pipeline_to_dict
from webapp.auth.policy import require_permission
from webapp.services import pipelines


@bp.get("/pipelines")
@require_permission("pipelines:read")
@doc(tag="pipelines", answers={200: Answer("every pipeline at its current version", s.PipelineList)})
def list_pipelines():
    """List pipelines."""
    items = [pipeline_to_dict(p, p.current()) for p in pipelines.list_pipelines()]
    return jsonify({"items": items, "next_cursor": None})


@bp.post("/pipelines")
@require_permission("pipelines:write")
@doc(
    tag="pipelines",
    json=s.PipelineCreate,
    errors=(409,),
    answers={201: Answer("created (version 1)", s.Pipeline, headers=("Location", "ETag"))},
)
def create_pipeline():
    """Create a pipeline."""
    pipeline = pipelines.create_pipeline(json_body())
    response = conditional.with_etag(
        jsonify(pipeline_to_dict(pipeline, pipeline.current())), conditional.pipeline_etag(pipeline)
    )
    response.headers["Location"] = f"/api/v1/pipelines/{pipeline.id}"
    return response, 201


@bp.get("/pipelines/<ref>")
@require_permission("pipelines:read")
@doc(
    tag="pipelines",
    headers=s.ConditionalHeaders,
    answers={
        200: Answer("the current version", s.Pipeline, headers=("ETag",)),
        304: Answer("unchanged since If-None-Match", headers=("ETag",)),
    },
)
def get_pipeline(ref: str):
    """Get a pipeline (its current version) by id or name."""
    pipeline = pipelines.get_pipeline(ref)
    etag = conditional.pipeline_etag(pipeline)
    if unchanged := conditional.not_modified(etag):
        return unchanged
    return conditional.with_etag(jsonify(pipeline_to_dict(pipeline, pipeline.current())), etag)


@bp.put("/pipelines/<ref>")
@require_permission("pipelines:write")
@doc(
    tag="pipelines",
    json=s.PipelineUpdate,
    headers=s.IfMatchHeaders,
    errors=(409, 412),
    answers={200: Answer("the new version", s.Pipeline, headers=("ETag",))},
)
def update_pipeline(ref: str):
    """Save a new version of a pipeline."""
    pipeline = pipelines.get_pipeline(ref)
    expected = conditional.if_match_versions(pipeline.id)
    pipeline = pipelines.update_pipeline(pipeline, json_body(), expected_versions=expected)
    etag = conditional.pipeline_etag(pipeline)
    return conditional.with_etag(jsonify(pipeline_to_dict(pipeline, pipeline.current())), etag)


@bp.get("/pipelines/<ref>/versions")
@require_permission("pipelines:read")
@doc(tag="pipelines", answers={200: Answer("every version, newest first", s.PipelineList)})
def list_versions(ref: str):
    """List every version of a pipeline."""
    pipeline = pipelines.get_pipeline(ref)
    items = [pipeline_to_dict(pipeline, version) for version in pipelines.list_versions(pipeline)]
    return jsonify({"items": items, "next_cursor": None})


@bp.delete("/pipelines/<ref>")
@require_permission("pipelines:delete")
@doc(tag="pipelines", errors=(409,), answers={204: Answer("deleted")})
def delete_pipeline(ref: str):
    """Delete a pipeline (admin)."""
    pipelines.delete_pipeline(pipelines.get_pipeline(ref))
    return "", 204
