"""A multipart/form-data upload streamed from disk with a fixed boundary.

Streaming keeps a 100 MiB upload out of memory; the fixed boundary makes every retry of one submission the same
bytes, so an Idempotency-Key always sees the same body."""

from __future__ import annotations

import io
import mimetypes
from pathlib import Path
from typing import BinaryIO


def _quote(value: str) -> str:
    # RFC 7578 §4.2: a file name goes in a quoted-string; escape what would end it.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartUpload:
    """One file part plus plain fields, readable once. requests sends it with a Content-Length (``__len__``)."""

    def __init__(self, path: Path, fields: dict[str, str], boundary: str) -> None:
        self.content_type = f"multipart/form-data; boundary={boundary}"
        head = io.BytesIO()
        for name, value in fields.items():
            head.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            head.write(value.encode() + b"\r\n")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        head.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{_quote(path.name)}"\r\n'
            f"Content-Type: {mime}\r\n\r\n".encode()
        )
        self._path = path
        self._size = path.stat().st_size
        self._parts: list[BinaryIO] = [io.BytesIO(head.getvalue()), io.BytesIO(f"\r\n--{boundary}--\r\n".encode())]
        self._length = len(self._parts[0].getvalue()) + self._size + len(self._parts[1].getvalue())
        self._file: BinaryIO | None = None
        self._file_left = self._size
        self._stage = 0  # 0: head, 1: file, 2: tail, 3: done

    def __len__(self) -> int:
        return self._length

    def __iter__(self):
        # requests treats a body with __iter__ as a stream; http.client then calls read() in blocks.
        while chunk := self.read(64 * 1024):
            yield chunk

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while self._stage < 3 and (size < 0 or len(out) < size):
            want = -1 if size < 0 else size - len(out)
            if self._stage == 1:
                # Never more than the Content-Length promised, even if the file grew since.
                want = self._file_left if want < 0 else min(want, self._file_left)
            chunk = self._source().read(want) if want else b""
            if self._stage == 1:
                self._file_left -= len(chunk)
            if chunk:
                out += chunk
            else:
                self._next_stage()
        return bytes(out)

    def _source(self) -> BinaryIO:
        if self._stage == 0:
            return self._parts[0]
        if self._stage == 1:
            if self._file is None:
                self._file = self._path.open("rb")
            return self._file
        return self._parts[1]

    def _next_stage(self) -> None:
        if self._stage == 1 and self._file is not None:
            self._file.close()
        self._stage += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
