"""Pipelines: definitions in, versions out."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from webapp.api.schemas.base import (
    STAGE_ORDER,
    In,
    Out,
    Priority,
    StageName,
    Timestamp,
)


class StageIn(In):
    name: StageName
    options: dict[str, Any] | None = Field(default=None, description="the stage's options; null: the defaults")


PipelineName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")]


class PipelineUpdate(In):
    """A new version: the whole definition (name optional: a new name renames the pipeline)."""

    name: PipelineName = None
    description: str = Field(default="", max_length=2000)
    default_priority: Priority = 5
    stages: list[StageIn] = Field(min_length=1, description="in order: " + " → ".join(STAGE_ORDER))


class PipelineCreate(PipelineUpdate):
    name: PipelineName


class PipelineStage(Out):
    name: str
    options: dict[str, Any]


class PipelineLinks(Out):
    self: str
    versions: str


class Pipeline(Out):
    id: str
    name: str
    version: int
    description: str
    default_priority: int
    stages: list[PipelineStage]
    created_at: Timestamp
    updated_at: Timestamp
    links: PipelineLinks


class PipelineList(Out):
    items: list[Pipeline]
    next_cursor: None


class IfMatchHeaders(BaseModel):
    if_match: str = Field(
        default=None, alias="If-Match", description="the ETag the change is based on: 412 when it is stale"
    )
