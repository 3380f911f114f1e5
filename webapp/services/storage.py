"""The blob store: uploaded files on a local (or shared, mounted) filesystem, or in an S3-compatible bucket.

``DOCPIPE_STORAGE_URL`` picks the backend: unset or ``file:///path`` → :class:`LocalStorage`,
``s3://bucket/optional/prefix`` → :class:`webapp.services.storage_s3.S3Storage`. Either way a stored file is known
by the same kind of relative path (``ab/cd/<uuid>``), so the database does not depend on the backend and a
``files/`` folder copied into a bucket under the prefix keeps working.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app

_CHUNK = 1024 * 1024
_EXTENSION = "docpipe.storage"
_lock = threading.Lock()


class FileTooLargeError(Exception):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"file exceeds the upload limit of {limit_bytes // (1024 * 1024)} MiB")
        self.limit_bytes = limit_bytes


@dataclass(frozen=True, slots=True)
class StoredBlob:
    relpath: str
    sha256: str
    size_bytes: int


class Storage(Protocol):
    """What the rest of Docpipe needs from a blob store."""

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        """Store the stream under a new random relpath; FileTooLargeError (and nothing stored) past max_bytes."""
        ...

    def local_copy(self, relpath: str | None) -> AbstractContextManager[Path]:
        """The stored file as a local path for the duration of the block; a path that does not exist when the
        file is missing (or relpath is None), for the ingest stage to report."""
        ...

    def exists(self, relpath: str) -> bool: ...

    def put(self, relpath: str, data: bytes) -> None:
        """Store small derived bytes (e.g. a page thumbnail) at a path the caller chose; replaces what is there."""
        ...

    def delete(self, relpath: str) -> None:
        """Remove the file; a missing file is not an error."""
        ...

    def delete_tree(self, prefix: str) -> None:
        """Remove everything stored under the folder ``prefix`` (e.g. a job's page images); none is not an error."""
        ...

    def check(self) -> dict[str, Any]:
        """Health details with a ``status`` of "ok" or "error" and the ``backend`` name."""
        ...


def new_relpath() -> str:
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name[2:4]}/{name}"


def check_relpath(relpath: str) -> str:
    """A relpath as ``save`` made it: relative, no ``.`` or ``..`` parts, no empty parts."""
    parts = relpath.split("/")
    if not relpath or relpath.startswith("/") or "\\" in relpath or any(p in ("", ".", "..") for p in parts):
        raise ValueError("stored path escapes the storage root")
    return relpath


class LimitedReader:
    """Reads a stream through while counting and hashing it; raises FileTooLargeError once it passes max_bytes,
    so an upload is never read whole into memory to find out."""

    def __init__(self, stream: BinaryIO, max_bytes: int) -> None:
        self._stream = stream
        self.max_bytes = max_bytes
        self.size = 0
        self._digest = hashlib.sha256()

    def read(self, size: int) -> bytes:
        chunk = self._stream.read(size)
        if not chunk:
            return b""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise FileTooLargeError(self.max_bytes)
        self._digest.update(chunk)
        return chunk

    def read_full(self, size: int) -> bytes:
        """Exactly ``size`` bytes, or fewer only at the end of the stream (a socket may return short reads)."""
        parts: list[bytes] = []
        wanted = size
        while wanted > 0 and (chunk := self.read(min(wanted, _CHUNK))):
            parts.append(chunk)
            wanted -= len(chunk)
        return b"".join(parts)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


class LocalStorage:
    """Files live under ``root`` at a random path; writes go to a temp file first so readers never see a
    partial file, and the rename makes the file appear whole."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        relpath = new_relpath()
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        reader = LimitedReader(stream, max_bytes)
        try:
            with tmp.open("wb") as out:
                while chunk := reader.read(_CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            tmp.rename(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredBlob(relpath=relpath, sha256=reader.hexdigest(), size_bytes=reader.size)

    @contextmanager
    def local_copy(self, relpath: str | None) -> Iterator[Path]:
        """Here the stored file itself: it is already local."""
        yield self.path(relpath) if relpath else self.root / ".missing"

    def path(self, relpath: str) -> Path:
        resolved = (self.root / relpath).resolve()
        if self.root.resolve() not in resolved.parents:
            raise ValueError("stored path escapes the storage root")
        return resolved

    def exists(self, relpath: str) -> bool:
        return self.path(relpath).is_file()

    def put(self, relpath: str, data: bytes) -> None:
        target = self.path(check_relpath(relpath))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        try:
            tmp.write_bytes(data)
            tmp.replace(target)  # readers see the old file or the new one, never half of one
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def delete(self, relpath: str) -> None:
        self.path(relpath).unlink(missing_ok=True)

    def delete_tree(self, prefix: str) -> None:
        shutil.rmtree(self.path(check_relpath(prefix.rstrip("/"))), ignore_errors=True)

    def check(self) -> dict[str, Any]:
        """Write, read back and remove a probe file: proves the store is mounted and writable."""
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        ok = probe.read_bytes() == b"ok"
        probe.unlink()
        usage = shutil.disk_usage(self.root)
        return {"status": "ok" if ok else "error", "backend": "local", "free_bytes": usage.free}


def storage_from_config(config: Mapping[str, Any]) -> Storage:
    """The backend ``STORAGE_URL`` names. Builds clients but does no network I/O."""
    url = config.get("STORAGE_URL")
    if not url:
        return LocalStorage(config["STORAGE_DIR"])
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(f"DOCPIPE_STORAGE_URL {url!r}: a file URL needs an absolute path, e.g. file:///srv/files")
        return LocalStorage(unquote(parts.path))
    if parts.scheme == "s3":
        from webapp.services.storage_s3 import s3_storage_from_config

        return s3_storage_from_config(config)
    raise ValueError(f"DOCPIPE_STORAGE_URL {url!r}: the scheme must be file:// or s3://")


def get_storage(app: Flask | None = None) -> Storage:
    """The app's storage, built on first use and kept for the life of the process (its clients are
    thread-safe and reuse their connections)."""
    app = app or current_app._get_current_object()
    storage = app.extensions.get(_EXTENSION)
    if storage is None:
        with _lock:
            storage = app.extensions.get(_EXTENSION)
            if storage is None:
                storage = app.extensions[_EXTENSION] = storage_from_config(app.config)
    return storage
