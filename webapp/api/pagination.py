"""``?limit=`` and ``?cursor=`` handling and the Link header."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import jsonify, request

from webapp.pipeline.config import FieldError
from webapp.services.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def page_limit() -> int:
    raw = request.args.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed([FieldError("limit", f"must be an integer from 1 to {MAX_LIMIT}")]) from None
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationFailed([FieldError("limit", f"must be an integer from 1 to {MAX_LIMIT}")])
    return value


def paginated(items: list[dict[str, Any]], next_cursor: str | None):
    response = jsonify({"items": items, "next_cursor": next_cursor})
    if next_cursor:
        args = {key: value for key, value in request.args.items() if key != "cursor"}
        args["cursor"] = next_cursor
        response.headers["Link"] = f'<{request.path}?{urlencode(args)}>; rel="next"'
    return response
