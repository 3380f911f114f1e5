"""The pipelines pages: list, one pipeline, create and edit (a form per stage, generated from the stages'
declared options), version history with a diff, "try it" on a sample, delete.

The pipelines service decides everything (``validate_body`` is the API's own check), so the dashboard and the
API accept and refuse the same things in the same words; the editor service maps each refusal to its field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from webapp.api.serializers import pipeline_to_dict
from webapp.auth.policy import require_permission
from webapp.dashboard import bp
from webapp.models import Pipeline
from webapp.pipeline.config import stages_from_json
from webapp.services import pipeline_diff, pipeline_trial, pipelines
from webapp.services.errors import BusyError, ConflictError, PayloadTooLargeError, ValidationFailed
from webapp.services.pipeline_editor import PRIORITIES, Editor, active_job_counts, same_config

# Characters of a try's text and Markdown shown on the page.
DISPLAY_LIMIT = 100_000


def _ref(pipeline: Pipeline) -> dict[str, Any]:
    return {"id": pipeline.id, "name": pipeline.name, "version": pipeline.current_version}


def _editor_of(pipeline: Pipeline) -> Editor:
    version = pipeline.current()
    return Editor.from_saved(pipeline.name, version.description, version.default_priority, version.stages)


# --- read -------------------------------------------------------------------------------------------------


@bp.get("/pipelines")
@require_permission("pipelines:read")
def pipelines_list():
    items = [pipeline_to_dict(pipeline, pipeline.current()) for pipeline in pipelines.list_pipelines()]
    return render_template("dashboard/pipelines.html", pipelines=items, active=active_job_counts())


@bp.get("/pipelines/<ref>")
@require_permission("pipelines:read")
def pipeline_detail(ref: str):
    pipeline = pipelines.get_pipeline(ref)
    return render_template(
        "dashboard/pipeline.html",
        pipeline=pipeline_to_dict(pipeline, pipeline.current()),
        editor=_editor_of(pipeline),
        active=active_job_counts().get(pipeline.id, 0),
        is_default=pipeline.name == pipelines.DEFAULT_PIPELINE,
    )


@bp.get("/pipelines/<ref>/versions")
@require_permission("pipelines:read")
def pipeline_versions(ref: str):
    """Every version, and the diff between two of them (default: the previous one → the current one)."""
    pipeline = pipelines.get_pipeline(ref)
    versions = pipelines.list_versions(pipeline)
    newer = pipeline_diff.pick(versions, request.args.get("to", type=int), pipeline.current_version)
    older = pipeline_diff.pick(versions, request.args.get("from", type=int), max(1, newer.version - 1))
    old, new = pipeline_diff.canonical(older), pipeline_diff.canonical(newer)
    return render_template(
        "dashboard/pipeline_versions.html",
        pipeline=pipeline_to_dict(pipeline, pipeline.current()),
        versions=[pipeline_to_dict(pipeline, version) for version in versions],
        older=older.version,
        newer=newer.version,
        changes=pipeline_diff.field_changes(old, new),
        lines=pipeline_diff.line_diff(old, new),
    )


# --- create and edit --------------------------------------------------------------------------------------


def _render_editor(editor: Editor, pipeline: Pipeline | None = None, status: int = 200, **extra: Any):
    if "trial" in extra and extra["trial"] is not None and extra["trial"].result is not None:
        extra["result_json"] = json.dumps(extra["trial"].result, indent=2, ensure_ascii=False)
    return render_template(
        "dashboard/pipeline_edit.html",
        editor=editor,
        pipeline=pipeline_to_dict(pipeline, pipeline.current()) if pipeline else None,
        is_default=pipeline is not None and pipeline.name == pipelines.DEFAULT_PIPELINE,
        base_version=extra.pop("base_version", pipeline.current_version if pipeline else None),
        priorities=PRIORITIES,
        try_max_mb=current_app.config["TRY_MAX_MB"],
        try_timeout=current_app.config["TRY_TIMEOUT_SECONDS"],
        display_limit=DISPLAY_LIMIT,
        **extra,
    ), status


def _checked(editor: Editor, *, require_name: bool, with_name: bool = True) -> dict[str, Any] | None:
    """The service's verdict on the editor's body: the clean body, or None with the errors on the fields."""
    editor.checked = True
    try:
        return pipelines.validate_body(editor.body(with_name=with_name), require_name=require_name)
    except ValidationFailed as exc:
        editor.add_errors(exc.errors)
        return None


def _previewing() -> bool:
    """The no-JavaScript "Update preview" button: validate and show, save nothing."""
    return request.form.get("action") == "preview"


@bp.get("/pipelines/new")
@require_permission("pipelines:write")
def pipeline_new():
    return _render_editor(Editor.blank())


@bp.post("/pipelines/new")
@require_permission("pipelines:write")
def pipeline_create():
    editor = Editor.from_form(request.form)
    if _checked(editor, require_name=True) is None or _previewing():
        return _render_editor(editor, status=422 if editor.has_errors else 200)
    try:
        pipeline = pipelines.create_pipeline(editor.body())
    except ConflictError as exc:
        editor.errors["name"] = [exc.detail]
        return _render_editor(editor, status=409)
    flash(f"The pipeline {pipeline.name} was created (version 1).", "success")
    return redirect(url_for("dashboard.pipeline_detail", ref=pipeline.id))


@bp.get("/pipelines/<ref>/edit")
@require_permission("pipelines:write")
def pipeline_edit(ref: str):
    pipeline = pipelines.get_pipeline(ref)
    return _render_editor(_editor_of(pipeline), pipeline)


@bp.post("/pipelines/<ref>/edit")
@require_permission("pipelines:write")
def pipeline_update(ref: str):
    """Saves a new version. A save based on an older version than the current one is stopped once, with a
    link to what changed in between, so nobody overwrites a colleague's edit unknowingly."""
    pipeline = pipelines.get_pipeline(ref)
    current = pipeline.current()
    editor = Editor.from_form(request.form, current.stages)
    base = request.form.get("base_version", type=int)
    data = _checked(editor, require_name=False)
    if data is None or _previewing():
        return _render_editor(editor, pipeline, 422 if editor.has_errors else 200, base_version=base)
    if base is not None and base != pipeline.current_version:
        link = url_for("dashboard.pipeline_versions", ref=pipeline.id, **{"from": base})
        stale = {"base": base, "current": pipeline.current_version, "url": link}
        return _render_editor(editor, pipeline, 409, stale=stale)
    if same_config(data, pipeline.name, current.description, current.default_priority, current.stages):
        flash("Nothing changed, so no new version was saved.", "info")
        return redirect(url_for("dashboard.pipeline_detail", ref=pipeline.id))
    try:
        pipeline = pipelines.update_pipeline(pipeline, editor.body())
    except ValidationFailed as exc:  # e.g. renaming the default pipeline
        editor.add_errors(exc.errors)
        return _render_editor(editor, pipeline, 422)
    except ConflictError as exc:
        editor.errors["name"] = [exc.detail]
        return _render_editor(editor, pipeline, 409)
    flash(f"Saved version {pipeline.current_version} of {pipeline.name}. Jobs keep the version they ran.", "success")
    return redirect(url_for("dashboard.pipeline_detail", ref=pipeline.id))


# --- try it -----------------------------------------------------------------------------------------------


@bp.post("/pipelines/new/try")
@require_permission("pipelines:try")
def pipeline_try_new():
    return _try(None)


@bp.post("/pipelines/<ref>/try")
@require_permission("pipelines:try")
def pipeline_try(ref: str):
    return _try(pipelines.get_pipeline(ref))


def _try(pipeline: Pipeline | None):
    """Run the form's pipeline, saved or not, on the posted sample; the editor comes back with the result."""
    editor = Editor.from_form(request.form, pipeline.current().stages if pipeline else None)
    base = {"base_version": request.form.get("base_version", type=int)} if pipeline else {}
    data = _checked(editor, require_name=False, with_name=False)
    sample = request.files.get("sample")
    if data is not None and (sample is None or not sample.filename):
        editor.errors["sample"] = ["Choose a file to try the pipeline on."]
    if editor.has_errors or data is None or sample is None:
        return _render_editor(editor, pipeline, 422, **base)
    config = current_app.config
    try:
        trial = pipeline_trial.run_trial(
            sample.stream,
            sample.filename or "sample",
            stages_from_json(data["stages"]),
            work_dir=Path(config["DATA_DIR"]) / "tmp",
            max_bytes=config["TRY_MAX_MB"] * 1024 * 1024,
            timeout_seconds=config["TRY_TIMEOUT_SECONDS"],
            concurrency=config["TRY_CONCURRENCY"],
            pipeline=_ref(pipeline) if pipeline else None,
        )
    except PayloadTooLargeError as exc:
        editor.errors["sample"] = [exc.detail[:1].upper() + exc.detail[1:] + "."]
        return _render_editor(editor, pipeline, 413, **base)
    except BusyError as exc:
        editor.form_errors.append(f"Not run: {exc.detail}.")
        body, status = _render_editor(editor, pipeline, 429, **base)
        return body, status, {"Retry-After": str(exc.retry_after)}
    return _render_editor(editor, pipeline, 200, trial=trial, **base)


@bp.post("/pipelines/_preview")
@require_permission("pipelines:write")
def pipeline_preview():
    """htmx: the JSON the form would save, and what the service says about it, refreshed as fields change."""
    ref = request.form.get("pipeline_id")
    pipeline = pipelines.get_pipeline(ref) if ref else None
    editor = Editor.from_form(request.form, pipeline.current().stages if pipeline else None)
    _checked(editor, require_name=pipeline is None)
    return render_template("dashboard/_pipeline_preview.html", editor=editor)


# --- delete -----------------------------------------------------------------------------------------------


@bp.get("/pipelines/<ref>/delete")
@require_permission("pipelines:delete")
def pipeline_delete_confirm(ref: str):
    pipeline = pipelines.get_pipeline(ref)
    return render_template(
        "dashboard/pipeline_delete.html",
        pipeline=pipeline_to_dict(pipeline, pipeline.current()),
        active=active_job_counts().get(pipeline.id, 0),
        is_default=pipeline.name == pipelines.DEFAULT_PIPELINE,
    )


@bp.post("/pipelines/<ref>/delete")
@require_permission("pipelines:delete")
def pipeline_delete(ref: str):
    pipeline = pipelines.get_pipeline(ref)
    name = pipeline.name
    try:
        pipelines.delete_pipeline(pipeline)
    except ConflictError as exc:
        active = exc.extra.get("active_jobs")
        if active:
            flash(
                f"{name} was not deleted: {active} of its jobs {'is' if active == 1 else 'are'} queued or running. "
                "Wait for them to finish, or cancel them, then delete again.",
                "error",
            )
        else:
            flash(f"{name} was not deleted: {exc.detail}.", "error")
        return redirect(url_for("dashboard.pipeline_detail", ref=pipeline.id))
    flash(f"The pipeline {name} was deleted. Jobs that ran it keep their results.", "success")
    return redirect(url_for("dashboard.pipelines_list"))
