"""Errors services raise; the API turns each into a problem+json response."""

from __future__ import annotations

from webapp.pipeline.config import FieldError


class ServiceError(Exception):
    status = 400
    title = "Bad request"
    type = "about:blank"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFoundError(ServiceError):
    status = 404
    title = "Not found"
    type = "/problems/not-found"


class ConflictError(ServiceError):
    status = 409
    title = "Conflict"
    type = "/problems/conflict"


class PreconditionFailedError(ServiceError):
    """An If-Match precondition did not hold: the resource changed since the client read it."""

    status = 412
    title = "Precondition failed"
    type = "/problems/precondition-failed"


class ValidationFailed(ServiceError):
    status = 422
    title = "Validation failed"
    type = "/problems/validation"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class BusyError(ServiceError):
    """Backpressure: come back later (``retry_after`` seconds)."""

    status = 429
    title = "Too many requests"
    type = "/problems/busy"

    def __init__(self, detail: str, retry_after: int, **extra: object) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class PayloadTooLargeError(ServiceError):
    status = 413
    title = "Payload too large"
    type = "/problems/payload-too-large"
