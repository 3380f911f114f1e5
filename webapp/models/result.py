"""A succeeded job's extraction result: one row per job, written once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import JSONType
from webapp.timeutil import UTCDateTime, utcnow


class Result(db.Model):
    __tablename__ = "results"

    # The job id is the key: a second write of the same job's result is impossible, not merely avoided.
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    pipeline_version_id: Mapped[str] = mapped_column(String(40), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    elements: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False, default=list)
    tables: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False, default=list)
    # Paginated sources: [{"number", "width", "height", "rotation", "source"}]; [] for others (and older results).
    pages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False, default=list, server_default="[]")
    # Pipelines with the chunk stage: the chunks (see webapp/pipeline/chunking/); [] for others (and older results).
    chunks: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False, default=list, server_default="[]")
    doc_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, nullable=False, default=dict)
    language: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    quality: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
