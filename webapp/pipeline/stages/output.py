"""Output: build the result object (text, Markdown, elements, tables, pages, metadata) in the requested formats."""

from __future__ import annotations

from webapp.pipeline.base import Option, Stage, StageContext
from webapp.pipeline.document import as_dicts, assign_ids, element_dict
from webapp.pipeline.errors import EmptyDocumentError
from webapp.pipeline.render import to_markdown

FORMATS = ("text", "markdown", "elements", "tables")


class OutputStage(Stage):
    name = "output"
    description = "Renders text and Markdown and assembles the stored result."
    options = {
        "formats": Option(list, list(FORMATS), item_choices=FORMATS, help="Which parts of the result to keep."),
        "fail_on_empty": Option(bool, True, help="Fail the job when no text at all was extracted."),
    }

    def run(self, ctx: StageContext) -> None:
        assert ctx.document is not None, "parse must run before output"
        opts = ctx.stage_options(self.name)
        formats = set(opts["formats"])
        document = ctx.document
        keep_furniture = keeps_furniture(ctx)
        count = len(document.elements)
        assign_ids(document)  # parse gave the ids already; this covers a document built without the parse stage
        if len(document.elements) != count:
            ctx.text_cache = None  # a table no element pointed at got one: its rows belong in the text too
        text = ctx.plain_text()
        if opts["fail_on_empty"] and not text.strip() and not document.tables:
            hint = "; the file may be a scan that needs OCR" if document.signals.get("pages") else ""
            raise EmptyDocumentError(f"no text could be extracted{hint}")
        metadata = dict(document.metadata)
        metadata.setdefault("word_count", len(text.split()))
        ctx.output = {
            "text": text if "text" in formats else "",
            "markdown": to_markdown(document, keep_furniture) if "markdown" in formats else "",
            "elements": [element_dict(e, document.tables) for e in document.elements] if "elements" in formats else [],
            "tables": as_dicts(document.tables) if "tables" in formats else [],
            "pages": [page.to_dict() for page in document.pages],
            "metadata": metadata,
            "language": ctx.language or {"code": None, "confidence": 0.0},
            "quality": ctx.quality or {"score": None, "signals": {}, "warnings": list(document.warnings)},
        }
        if "chunk" in ctx.options:  # only a pipeline with the chunk stage has chunks, [] when there is no text
            ctx.output["chunks"] = ctx.chunks


def keeps_furniture(ctx: StageContext) -> bool:
    """``parse.furniture``: "keep" puts running headers and footers in the text and Markdown too."""
    return ctx.stage_options("parse").get("furniture", "drop") == "keep"
