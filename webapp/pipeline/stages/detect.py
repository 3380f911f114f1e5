"""Detect: decide the MIME type from the bytes, never from the name or the client's Content-Type."""

from __future__ import annotations

from webapp.pipeline.base import Stage, StageContext
from webapp.pipeline.detect import detect


class DetectStage(Stage):
    name = "detect"
    description = "Identifies the format from the file's content."
    options = {}

    def run(self, ctx: StageContext) -> None:
        ctx.detection = detect(ctx.source)
