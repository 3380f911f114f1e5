"""Pydantic models of the API's bodies (../shared/API.md), one module per resource; this one holds what they
share. Requests are validated with them and the OpenAPI document (webapp/api/openapi.py) is generated from them.
The services keep their own, richer checks (stage options, e-mail uniqueness ...): these models say what a
well-formed request looks like."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from webapp.models.job import STATUSES
from webapp.models.user import ROLES
from webapp.models.webhook import DELIVERY_STATUSES
from webapp.pipeline.registry import STAGE_ORDER
from webapp.services.audit import OUTCOMES
from webapp.services.webhook_outbox import EVENT_TYPES

JobStatus = Literal[STATUSES]  # type: ignore[valid-type]
Role = Literal[ROLES]  # type: ignore[valid-type]
StageName = Literal[STAGE_ORDER]  # type: ignore[valid-type]
DeliveryStatus = Literal[DELIVERY_STATUSES]  # type: ignore[valid-type]
Outcome = Literal[OUTCOMES]  # type: ignore[valid-type]
EVENT_NAMES = [*EVENT_TYPES, "*"]
Timestamp = Annotated[datetime, Field(description="RFC 3339, UTC")]
Priority = Annotated[int, Field(ge=0, le=9, description="0-9, 9 highest")]
Limit = Annotated[int, Field(ge=1, le=500, description="page size (default 50)")]
Cursor = Annotated[str, Field(description="the next_cursor of the previous page")]


class Out(BaseModel):
    """Responses: documented fields; new fields may appear (clients must ignore what they do not know)."""

    model_config = ConfigDict(extra="allow")


class In(BaseModel):
    """Request bodies: unknown fields are refused (422 'unknown field').

    An optional field that must not be null is typed without None and defaults to None: pydantic does not
    check defaults, so leaving it out works and an explicit null is refused (the services refuse it too).
    """

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    # Unknown query parameters are ignored, as they always were.
    model_config = ConfigDict(extra="ignore")


# --- errors ---------------------------------------------------------------------------------------------------


class FieldProblem(Out):
    field: str = Field(description="where: 'email', 'limit', 'stages[2].options.ocr_language' ...")
    message: str


class Problem(Out):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] | None = Field(default=None, description="every invalid field (422 only)")


class ConditionalHeaders(BaseModel):
    if_none_match: str = Field(
        default=None, alias="If-None-Match", description="an ETag from an earlier answer: 304 when unchanged"
    )
