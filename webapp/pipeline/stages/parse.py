"""Parse: hand the file to the best parser registered for its detected type.

``timeout_seconds`` and ``max_memory_mb`` bound the whole run when it happens in a sandboxed child process (see
``webapp.pipeline.sandbox``); they live here because parsing is what needs them.
"""

from __future__ import annotations

from webapp.pipeline.base import Option, Stage, StageContext
from webapp.pipeline.document import ParsedDocument, assign_ids
from webapp.pipeline.errors import EmptyDocumentError
from webapp.pipeline.ocr import DEFAULT_MAX_PAGES, check_languages
from webapp.pipeline.pagerange import check_page_range
from webapp.pipeline.registry import parser_for

DEFAULT_TIMEOUT_SECONDS = 300
DEFAULT_MAX_MEMORY_MB = 1024


class ParseStage(Stage):
    name = "parse"
    description = "Extracts elements, tables and metadata with the parser for the detected format."
    options = {
        "ocr": Option(
            str,
            "auto",
            choices=("auto", "always", "never"),
            help="When to run OCR: auto (only pages without a text layer), always, never.",
        ),
        "ocr_languages": Option(
            list, ["eng"], validator=check_languages, help="Installed Tesseract language codes, e.g. eng, deu."
        ),
        "ocr_max_pages": Option(
            int, DEFAULT_MAX_PAGES, minimum=1, maximum=5000, help="Pages read with OCR at most per document."
        ),
        "max_pages": Option(int, 5000, minimum=1, maximum=100000, help="Pages beyond this fail the job."),
        "tables": Option(
            bool, True, help="Detect tables: with rows and header rows; in PDFs and scans from the page layout."
        ),
        "pages": Option(
            str, "", validator=check_page_range, help='Pages to parse, e.g. "1-3,7" or "5-"; empty: every page.'
        ),
        "furniture": Option(
            str,
            "drop",
            choices=("drop", "keep"),
            help="Running page headers and footers: drop (left out of text and Markdown, kept as elements) or keep.",
        ),
        "layout": Option(
            bool,
            True,
            help="Layout analysis for PDFs and scans: headings, reading order, tables, page furniture, boxes.",
        ),
        "timeout_seconds": Option(
            int, DEFAULT_TIMEOUT_SECONDS, minimum=1, maximum=3600, help="Wall-clock limit for processing a document."
        ),
        "max_memory_mb": Option(
            int, DEFAULT_MAX_MEMORY_MB, minimum=256, maximum=16384, help="Memory limit of the parsing process, MiB."
        ),
    }

    def run(self, ctx: StageContext) -> None:
        assert ctx.detection is not None, "detect must run before parse"
        parser = parser_for(ctx.detection.mime_type)
        document = parser.parse(ctx.source, ctx.detection, ctx.stage_options(self.name))
        document.metadata.setdefault("mime_type", ctx.detection.mime_type)
        document.metadata.setdefault("parser", parser.name)
        # Ids now, so every stage after parse (enrich, chunk, output) sees the same elements and tables.
        assign_ids(document)
        ctx.document = document
        if document.signals.get("ocr_available") is False and ctx.stage_options("output").get("fail_on_empty", True):
            _fail_without_ocr(document)


def _fail_without_ocr(document: ParsedDocument) -> None:
    """Nothing but scans and no OCR engine: say so here, where it is known, rather than "no text" in output."""
    if document.tables or any(element.text.strip() for element in document.elements):
        return
    hint = next((warning for warning in document.warnings if warning.startswith("OCR engine")), "OCR engine missing")
    raise EmptyDocumentError(f"no text could be extracted: {hint} (install tesseract-ocr)")
