"""Typed errors a stage raises. ``type`` is the stable string clients see in ``job.error.type``."""

from __future__ import annotations


class StageError(Exception):
    type = "internal"
    retryable = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retryable is not None:
            self.retryable = retryable

    def to_dict(self, stage: str | None) -> dict:
        return {"type": self.type, "message": self.message, "stage": stage, "retryable": self.retryable}


class UnsupportedFormatError(StageError):
    type = "unsupported_format"


class CorruptFileError(StageError):
    type = "corrupt_file"


class EncryptedFileError(StageError):
    type = "encrypted_file"


class EmptyDocumentError(StageError):
    type = "empty_document"


class LimitExceededError(StageError):
    """A configured bound was hit: size, pages, memory, time or archive expansion ratio."""

    type = "limit_exceeded"


class StageTimeoutError(StageError):
    type = "timeout"
    retryable = True


class InternalError(StageError):
    type = "internal"
    retryable = True


class StopPipeline(Exception):
    """Not a failure: the job was cancelled (or superseded) and the runner stops cleanly between stages."""
