"""Pipelines: list, read, create, update (new version), versions, delete."""

from __future__ import annotations

from flask import jsonify

from webapp.api import bp, json_body
from webapp.api.serializers import pipeline_to_dict
from webapp.auth.policy import require_permission
from webapp.services import pipelines


@bp.get("/pipelines")
@require_permission("pipelines:read")
def list_pipelines():
    items = [pipeline_to_dict(p, p.current()) for p in pipelines.list_pipelines()]
    return jsonify({"items": items, "next_cursor": None})


@bp.post("/pipelines")
@require_permission("pipelines:write")
def create_pipeline():
    pipeline = pipelines.create_pipeline(json_body())
    response = jsonify(pipeline_to_dict(pipeline, pipeline.current()))
    response.headers["Location"] = f"/api/v1/pipelines/{pipeline.id}"
    return response, 201


@bp.get("/pipelines/<ref>")
@require_permission("pipelines:read")
def get_pipeline(ref: str):
    pipeline = pipelines.get_pipeline(ref)
    return jsonify(pipeline_to_dict(pipeline, pipeline.current()))


@bp.put("/pipelines/<ref>")
@require_permission("pipelines:write")
def update_pipeline(ref: str):
    pipeline = pipelines.update_pipeline(pipelines.get_pipeline(ref), json_body())
    return jsonify(pipeline_to_dict(pipeline, pipeline.current()))


@bp.get("/pipelines/<ref>/versions")
@require_permission("pipelines:read")
def list_versions(ref: str):
    pipeline = pipelines.get_pipeline(ref)
    items = [pipeline_to_dict(pipeline, version) for version in pipelines.list_versions(pipeline)]
    return jsonify({"items": items, "next_cursor": None})


@bp.delete("/pipelines/<ref>")
@require_permission("pipelines:delete")
def delete_pipeline(ref: str):
    pipelines.delete_pipeline(pipelines.get_pipeline(ref))
    return "", 204
