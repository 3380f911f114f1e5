"""Posting several ``file`` parts at once (the body is built by conftest's ``multipart_parts``)."""

from __future__ import annotations

from tests.conftest import Part, multipart_parts


def post_files(client, files: list[tuple[bytes, str]], headers: dict | None = None, **form: str):
    parts: list[Part] = [("file", item) for item in files] + list(form.items())
    body, content_type = multipart_parts(parts)
    return client.post("/api/v1/jobs", data=body, content_type=content_type, headers=headers or {})
