"""The OpenAPI 3.1 document, generated from the views and their pydantic models (webapp/api/schemas.py).

spectree validates each operation's query, JSON body and headers and writes the request side of the document;
``doc()`` adds what spectree cannot say: every answer with its media type (problem+json, text, CSV ...) and
headers. A failed validation becomes our 422 problem+json naming each field. ``flask openapi`` writes the
committed copy docs/openapi.json; tests/api/test_openapi.py fails when the two drift.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from spectree import SpecTree
from spectree.plugins.flask_plugin import FlaskPlugin

from webapp import __version__
from webapp.api import bp, json_body
from webapp.api import schemas as s
from webapp.auth.policy import public
from webapp.pipeline.config import FieldError
from webapp.services.errors import NotFoundError, ValidationFailed

PROBLEM = "application/problem+json"
NUL = "\x00"
NUL_MESSAGE = "must not contain the NUL character (U+0000)"
FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
RATE_LIMIT_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)
HEADERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Location": ("the new resource's URL", {"type": "string"}),
    "ETag": ("the representation's version, for If-None-Match / If-Match", {"type": "string"}),
    "Link": ('<...>; rel="next" when there is a next page', {"type": "string"}),
    "Retry-After": ("seconds to wait before trying again", {"type": "integer", "minimum": 0}),
    "Idempotent-Replayed": (
        "true: this is the stored answer to an earlier request with the same Idempotency-Key",
        {"type": "string", "enum": ["true"]},
    ),  # fmt: skip
    "Cache-Control": ("no-store on answers that carry a secret", {"type": "string"}),
    "Content-Disposition": ("attachment; filename=...", {"type": "string"}),
    "WWW-Authenticate": ('Bearer realm="docpipe"', {"type": "string"}),
    "RateLimit-Limit": ("requests allowed in the current window", {"type": "integer", "minimum": 0}),
    "RateLimit-Remaining": ("requests left in the current window", {"type": "integer", "minimum": 0}),
    "RateLimit-Reset": ("seconds until the window resets", {"type": "integer", "minimum": 0}),
    "X-RateLimit-Limit": ("same as RateLimit-Limit", {"type": "integer", "minimum": 0}),
    "X-RateLimit-Remaining": ("same as RateLimit-Remaining", {"type": "integer", "minimum": 0}),
    "X-RateLimit-Reset": ("when the window resets, as a Unix time in seconds", {"type": "integer", "minimum": 0}),
}
ERROR_TITLES = {
    400: "Bad request",
    401: "No credentials, or invalid, expired or revoked ones",
    403: "The caller's role may not do this",
    404: "No such resource",
    409: "Conflict with the resource's current state",
    412: "If-Match does not match the current ETag",
    413: "The upload is larger than DOCPIPE_MAX_UPLOAD_MB",
    422: "Validation failed: errors[] names each field",
    429: "Too many requests: wait Retry-After seconds",
    503: "Busy: wait Retry-After seconds",
}


@dataclass(frozen=True)
class Answer:
    """One documented response: a JSON model, or other media types with their schemas; and its headers."""

    description: str
    model: type[BaseModel] | None = None
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    answers: dict[int, Answer]
    errors: tuple[int, ...]
    public: bool


_OPERATIONS: dict[str, Operation] = {}


def _before_view(req, resp, error, instance, model_adapter, *, query: bool = True) -> None:  # noqa: ARG001
    """spectree's before-hook, on every API request: refuse NUL characters, then turn a failed validation into
    our 422 problem+json naming each field. ``query``: the operation reads query parameters."""
    _refuse_nul(req, query)
    if error is None:
        return
    # A missing or malformed JSON body, or one that is no object, is named "body" as everywhere in the API.
    expects_json = req.method in ("POST", "PUT", "PATCH") and req.mimetype not in FORM_MIMETYPES
    if expects_json and not isinstance(json_body(), dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")])
    if not isinstance(error, ValidationError):
        raise ValidationFailed([FieldError("body", str(error))])
    found: dict[str, FieldError] = {}
    for item in error.errors():
        problem = _field_error(item)
        found.setdefault(problem.field, problem)
    raise ValidationFailed(list(found.values()))


def _has_nul(*texts: str | None) -> bool:
    return any(NUL in (text or "") for text in texts)


def _refuse_nul(req, query: bool) -> None:
    """PostgreSQL cannot store U+0000 in text, so no id can contain it and no text may: 404 for an id in the
    path, 422 naming the field anywhere else (instead of a database error)."""
    if any(NUL in str(value) for value in (req.view_args or {}).values()):
        raise NotFoundError("no such resource: ids never contain U+0000")
    fields = [key for key, value in req.args.items(multi=True) if _has_nul(key, value)] if query else []
    if req.mimetype in FORM_MIMETYPES:
        # A part whose name header does not parse comes with the name None.
        fields += [key for key, value in req.form.items(multi=True) if _has_nul(key, value)]
        fields += [key for key, upload in req.files.items(multi=True) if _has_nul(key, upload.filename)]
    elif req.method in ("POST", "PUT", "PATCH"):
        fields += _nul_paths(req.get_json(silent=True), "")
    if fields:
        names = [(field or "").replace(NUL, "\\0") or "body" for field in fields]
        raise ValidationFailed([FieldError(name, NUL_MESSAGE) for name in names])


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in _nul_paths(item, f"{path}[{i}]")]
    if isinstance(value, dict):
        found = [f"{path}.{key}" if path else str(key) for key in value if NUL in str(key)]
        for key, item in value.items():
            found += _nul_paths(item, f"{path}.{key}" if path else str(key))
        return found
    return []


def _field_error(item: dict[str, Any]) -> FieldError:
    path = ""
    for part in item["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    message = "unknown field" if item["type"] == "extra_forbidden" else str(item["msg"])
    return FieldError(path or "body", message)


class _RequestsOnly(FlaskPlugin):
    """Responses are documented by ``doc()`` and checked by the schemathesis test, not at run time: pass each
    view's answer through untouched (spectree's own step would read a streamed export into memory)."""

    def validate_response(self, resp, resp_model, skip_validation, force_resp_serialize):  # noqa: ARG002
        return resp, None


spec = SpecTree(
    "flask",
    backend=_RequestsOnly,
    mode="strict",
    title="Docpipe API",
    version=__version__,
    before=_before_view,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)


def doc(
    *,
    tag: str,
    answers: dict[int, Answer],
    errors: tuple[int, ...] = (),
    query: type[BaseModel] | None = None,
    json: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    headers: type[BaseModel] | None = None,
    is_public: bool = False,
    validate: bool = True,
):
    """Document (and validate) one API view. Put it below ``@require_permission`` / ``@public``.

    ``errors`` lists the problem statuses this operation may answer besides the ones every operation has
    (401/403 unless public, 429) and the ones its inputs imply (422 with a model, 404 with a path parameter).
    ``validate=False`` documents the request without checking it here (the view parses it itself).
    """

    def decorate(view):
        validated = spec.validate(
            query=query,
            json=json,
            form=form,
            headers=headers,
            tags=(tag,),
            security=[] if is_public else None,
            operation_id=view.__name__,
            skip_validation=not validate,
            before=functools.partial(_before_view, query=query is not None),
        )(view)
        inputs = (422,) if any((query, json, form, headers)) else ()
        _OPERATIONS[view.__name__] = Operation(answers, tuple(sorted({*errors, *inputs})), is_public)
        return validated

    return decorate


def document(app: Flask) -> dict[str, Any]:
    """The whole OpenAPI document for ``app`` (cached per app)."""
    cached = app.extensions.get("docpipe_openapi")
    if cached is None:
        with app.app_context():
            cached = _build(copy.deepcopy(spec.spec))
        app.extensions["docpipe_openapi"] = cached
    return cached


def render(document_: dict[str, Any]) -> str:
    """The stable text form: sorted keys, two-space indent, a final newline (served and committed alike)."""
    return json.dumps(document_, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _build(generated: dict[str, Any]) -> dict[str, Any]:
    response_models: set[Any] = {s.Problem}
    for operation in _OPERATIONS.values():
        response_models.update(a.model for a in operation.answers.values() if a.model is not None)
    schemas = generated["components"]["schemas"]
    for name, schema in _response_schemas(response_models).items():
        if name in schemas and schemas[name] != schema:
            raise RuntimeError(f"schema {name!r} differs between requests and responses: rename one")
        schemas[name] = schema
    for schema in schemas.values():
        _drop_null_defaults(schema)
    for path, methods in generated["paths"].items():
        for operation in methods.values():
            _complete_operation(path, operation)
    generated["info"]["description"] = _DESCRIPTION
    generated["tags"] = sorted(generated["tags"], key=lambda tag: tag["name"])
    generated["components"]["responses"] = {f"Problem{status}": _problem_answer(status) for status in ERROR_TITLES}
    generated["components"]["headers"] = {
        name: {"description": text, "schema": schema} for name, (text, schema) in HEADERS.items()
    }
    generated["components"]["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "Authorization: Bearer <a JWT from POST /api/v1/auth/token, or an API key dp_...>",
        },
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "an API key (dp_...)"},
    }
    generated["security"] = [{"bearer": []}, {"apiKey": []}]
    return generated


def _response_schemas(models: set[Any]) -> dict[str, Any]:
    ordered = sorted(models, key=lambda model: model.__name__)
    _, top = models_json_schema(
        [(model, "serialization") for model in ordered], ref_template="#/components/schemas/{model}"
    )
    return top.get("$defs", {})


def _complete_operation(path: str, operation: dict[str, Any]) -> None:
    registered = _OPERATIONS[operation["operationId"]]
    for parameter in operation.get("parameters", []):
        parameter["schema"] = _without_null(parameter["schema"])
        if not parameter.get("description"):
            parameter.pop("description", None)
    errors = set(registered.errors) | {429}
    if not registered.public:
        errors |= {401, 403}
    if "{" in path:
        errors.add(404)
    responses = {str(status): _answer(answer) for status, answer in registered.answers.items()}
    for status in sorted(errors):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/Problem{status}"})
    operation["responses"] = responses
    if not operation.get("description"):
        operation.pop("description", None)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter or header is left out, never sent as null: drop the null branch."""
    options = schema.get("anyOf")
    if schema.get("default", "") is None:
        schema = {key: value for key, value in schema.items() if key != "default"}
    if not options:
        return schema
    kept = [option for option in options if option.get("type") != "null"]
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**kept[0], **rest} if len(kept) == 1 else {**rest, "anyOf": kept}


def _drop_null_defaults(schema: Any) -> None:
    """An optional field that may be left out but not sent as null (SkipJsonSchema[None]) has no default."""
    if isinstance(schema, list):
        for item in schema:
            _drop_null_defaults(item)
    elif isinstance(schema, dict):
        nullable = schema.get("type") == "null" or any(o.get("type") == "null" for o in schema.get("anyOf", []))
        if "default" in schema and schema["default"] is None and not nullable:
            del schema["default"]
        for value in schema.values():
            _drop_null_defaults(value)


def _headers(names: tuple[str, ...]) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in (*names, *RATE_LIMIT_HEADERS)}


def _answer(answer: Answer) -> dict[str, Any]:
    documented: dict[str, Any] = {"description": answer.description, "headers": _headers(answer.headers)}
    content = dict(answer.media)
    if answer.model is not None:
        content["application/json"] = {"schema": {"$ref": f"#/components/schemas/{answer.model.__name__}"}}
    if content:
        documented["content"] = content
    return documented


def _problem_answer(status: int) -> dict[str, Any]:
    headers: tuple[str, ...] = ()
    if status in (429, 503):
        headers = ("Retry-After",)
    elif status == 401:
        headers = ("WWW-Authenticate",)
    return {
        "description": ERROR_TITLES[status],
        "headers": _headers(headers),
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


_DESCRIPTION = (
    "Self-hosted document processing: submit documents, follow their jobs, read the results.\n\n"
    "Every operation except POST /api/v1/auth/token needs `Authorization: Bearer <JWT or dp_ API key>` or "
    "`X-API-Key: dp_...`. Errors are RFC 9457 `application/problem+json`; a 422 lists each invalid field in "
    "`errors[{field, message}]`. No text may contain U+0000. Lists take `limit` (1-500, default 50) and "
    '`cursor`, and answer `{"items": [...], "next_cursor": ...}` with a `Link: <...>; rel="next"` header when '
    "there is more."
)


# --- the document and its browsable page: public, since they describe the API and hold no data -----------------

docs_bp = Blueprint("api_docs", __name__)


@bp.get("/openapi.json")
@public
@doc(
    tag="meta",
    is_public=True,
    answers={200: Answer("this document (OpenAPI 3.1)", media={"application/json": {"schema": {"type": "object"}}})},
)
def openapi_document():
    """The OpenAPI 3.1 document of this API"""
    from flask import current_app

    return Response(render(document(current_app)), mimetype="application/json")


@docs_bp.get("/api/docs")
@public
def api_docs_page():
    return render_template("api_docs.html", spec_url=request.script_root + "/api/v1/openapi.json")
