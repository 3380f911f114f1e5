"""Parse: hand the file to the best parser registered for its detected type."""

from __future__ import annotations

from webapp.pipeline.base import Option, Stage, StageContext
from webapp.pipeline.registry import parser_for


class ParseStage(Stage):
    name = "parse"
    description = "Extracts elements, tables and metadata with the parser for the detected format."
    options = {
        "ocr": Option(str, "auto", choices=("auto", "always", "never"), help="When to run OCR on pages."),
        "ocr_languages": Option(list, ["eng"], help="Tesseract language codes, e.g. eng, deu."),
        "max_pages": Option(int, 5000, minimum=1, maximum=100000, help="Pages beyond this fail the job."),
        "tables": Option(bool, True, help="Extract tables (best effort for PDF)."),
    }

    def run(self, ctx: StageContext) -> None:
        assert ctx.detection is not None, "detect must run before parse"
        parser = parser_for(ctx.detection.mime_type)
        ctx.document = parser.parse(ctx.source, ctx.detection, ctx.stage_options(self.name))
        ctx.document.metadata.setdefault("mime_type", ctx.detection.mime_type)
        ctx.document.metadata.setdefault("parser", parser.name)
