"""Multipart bodies with repeated parts (several ``file`` parts), built in memory like conftest's helper."""

from __future__ import annotations

import uuid

Part = tuple[str, str | tuple[bytes, str]]


def multipart_parts(parts: list[Part]) -> tuple[bytes, str]:
    """``[("file", (data, "a.pdf")), ("file", (data, "b.pdf")), ("priority", "7")]`` → (body, content type)."""
    boundary = uuid.uuid4().hex
    chunks = []
    for name, value in parts:
        if isinstance(value, tuple):
            data, filename = value
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            chunks.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n")
        else:
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    return b"".join(chunks) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post_files(client, files: list[tuple[bytes, str]], headers: dict | None = None, **form: str):
    parts: list[Part] = [("file", item) for item in files] + list(form.items())
    body, content_type = multipart_parts(parts)
    return client.post("/api/v1/jobs", data=body, content_type=content_type, headers=headers or {})
