"""Ingest: check the stored bytes are there, intact and within the pipeline's size limit."""

from __future__ import annotations

import hashlib

from webapp.pipeline.base import Option, Stage, StageContext
from webapp.pipeline.errors import CorruptFileError, EmptyDocumentError, LimitExceededError

_CHUNK = 1024 * 1024


class IngestStage(Stage):
    name = "ingest"
    description = "Checks the stored file: present, not empty, within the size limit, checksum intact."
    options = {
        "max_size_mb": Option(int, 100, minimum=1, maximum=10240, help="Largest file accepted, in MiB."),
        "verify_checksum": Option(bool, True, help="Re-hash the stored bytes and compare with the upload."),
    }

    def run(self, ctx: StageContext) -> None:
        opts = ctx.stage_options(self.name)
        source = ctx.source
        try:
            size = source.path.stat().st_size
        except FileNotFoundError:
            raise CorruptFileError("the stored file is missing from the blob store") from None
        if size == 0:
            raise EmptyDocumentError("the file is empty (0 bytes)")
        limit = opts["max_size_mb"] * 1024 * 1024
        if size > limit:
            raise LimitExceededError(f"file is {size} bytes; this pipeline accepts at most {opts['max_size_mb']} MiB")
        if opts["verify_checksum"] and source.sha256:
            digest = hashlib.sha256()
            with source.path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != source.sha256:
                raise CorruptFileError("the stored file does not match the checksum taken at upload")
