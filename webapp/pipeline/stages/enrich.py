"""Enrich: language and an explained quality score."""

from __future__ import annotations

from webapp.pipeline.base import Option, Stage, StageContext
from webapp.pipeline.enrich.language import detect_language
from webapp.pipeline.enrich.quality import assess_quality


class EnrichStage(Stage):
    name = "enrich"
    description = "Detects the language and scores the extraction's quality."
    options = {
        "language": Option(bool, True, help="Detect the document's language."),
        "quality": Option(bool, True, help="Compute the quality score and warnings."),
    }

    def run(self, ctx: StageContext) -> None:
        assert ctx.document is not None, "parse must run before enrich"
        opts = ctx.stage_options(self.name)
        text = ctx.plain_text()
        ctx.document.metadata.setdefault("word_count", len(text.split()))
        if opts["language"]:
            ctx.language = detect_language(text)
        if opts["quality"]:
            ctx.quality = assess_quality(ctx.document, text)
