"""Pipelines and their immutable versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.ids import new_id
from webapp.models.types import JSONType
from webapp.timeutil import UTCDateTime, utcnow


class Pipeline(db.Model):
    __tablename__ = "pipelines"
    __table_args__ = (
        # Names are unique among live pipelines; a deleted one frees its name.
        Index(
            "uq_pipelines_live_name",
            "name",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pl"))
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    current_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    versions: Mapped[list[PipelineVersion]] = relationship(
        back_populates="pipeline", order_by="PipelineVersion.version", lazy="select"
    )

    def current(self) -> PipelineVersion:
        return db.session.execute(
            db.select(PipelineVersion).filter_by(pipeline_id=self.id, version=self.current_version)
        ).scalar_one()


class PipelineVersion(db.Model):
    """One saved configuration of a pipeline. Never updated: an edit adds a version."""

    __tablename__ = "pipeline_versions"
    __table_args__ = (UniqueConstraint("pipeline_id", "version", name="uq_pipeline_versions_pipeline_version"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("plv"))
    pipeline_id: Mapped[str] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    default_priority: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    pipeline: Mapped[Pipeline] = relationship(back_populates="versions")
