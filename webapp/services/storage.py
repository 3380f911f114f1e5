"""The blob store: uploaded files on a local (or shared, mounted) filesystem."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

_CHUNK = 1024 * 1024


class FileTooLargeError(Exception):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"file exceeds the upload limit of {limit_bytes // (1024 * 1024)} MiB")
        self.limit_bytes = limit_bytes


@dataclass(frozen=True, slots=True)
class StoredBlob:
    relpath: str
    sha256: str
    size_bytes: int


class LocalStorage:
    """Files live under ``root`` at a random path; writes go to a temp file first so readers never see a
    partial file, and the rename makes the file appear whole."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredBlob:
        name = uuid.uuid4().hex
        relpath = f"{name[:2]}/{name[2:4]}/{name}"
        target = self.root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        digest = hashlib.sha256()
        size = 0
        try:
            with tmp.open("wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLargeError(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            tmp.rename(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredBlob(relpath=relpath, sha256=digest.hexdigest(), size_bytes=size)

    @contextmanager
    def local_copy(self, relpath: str | None) -> Iterator[Path]:
        """The stored file as a local path for the duration of the block (here: the file itself). A missing
        file yields a path that does not exist, for the ingest stage to report."""
        yield self.path(relpath) if relpath else self.root / ".missing"

    def path(self, relpath: str) -> Path:
        resolved = (self.root / relpath).resolve()
        if self.root.resolve() not in resolved.parents:
            raise ValueError("stored path escapes the storage root")
        return resolved

    def delete(self, relpath: str) -> None:
        self.path(relpath).unlink(missing_ok=True)

    def check(self) -> dict:
        """Write, read back and remove a probe file: proves the store is mounted and writable."""
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        ok = probe.read_bytes() == b"ok"
        probe.unlink()
        usage = shutil.disk_usage(self.root)
        return {"status": "ok" if ok else "error", "backend": "local", "free_bytes": usage.free}


def get_storage() -> LocalStorage:
    return LocalStorage(current_app.config["STORAGE_DIR"])
