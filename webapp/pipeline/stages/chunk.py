"""Chunk: cut the document into retrieval chunks with their headings, pages, boxes and element ids (optional)."""

from __future__ import annotations

from typing import Any

from webapp.pipeline.base import Option, Stage, StageContext
from webapp.pipeline.chunking import STRATEGIES, ChunkSettings, chunk_dicts, chunk_document
from webapp.pipeline.chunking.tokenizers import available_tokenizers, check_tokenizer, get_tokenizer
from webapp.pipeline.document import assign_ids

# Tables of these repeat their first row when split, even where the parser declared no header rows.
SPREADSHEET_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
        "application/vnd.oasis.opendocument.spreadsheet",
        "text/csv",
        "text/tab-separated-values",
    }
)


class ChunkStage(Stage):
    name = "chunk"
    description = "Cuts the document into chunks for search and retrieval, with headings, pages and boxes."
    options = {
        "strategy": Option(
            str,
            "by_title",
            choices=STRATEGIES,
            help="by_title: sections; by_tokens: windows; by_page: one page at a time; by_element: each element.",
        ),
        "max_tokens": Option(int, 512, minimum=16, maximum=8192, help="The most tokens a chunk may have."),
        "overlap_tokens": Option(
            int, 0, minimum=0, maximum=4096, help="Tokens of the previous chunk repeated at the start of the next."
        ),
        "tokenizer": Option(
            str,
            "words",
            validator=check_tokenizer,
            suggestions=available_tokenizers,
            help='How tokens are counted: "words", or "hf:NAME" for a tokenizer.json in DOCPIPE_TOKENIZERS_DIR.',
        ),
        "include_headings": Option(bool, True, help="Start each chunk's text with its heading path."),
        "merge_small": Option(bool, True, help="Join a small section with the subsections that follow it."),
        "min_tokens": Option(
            int, 128, minimum=1, maximum=8192, help="With merge_small: sections smaller than this are joined."
        ),
    }

    def run(self, ctx: StageContext) -> None:
        assert ctx.document is not None, "parse must run before chunk"
        opts = ctx.stage_options(self.name)
        document = ctx.document
        count = len(document.elements)
        assign_ids(document)
        if len(document.elements) != count:
            ctx.text_cache = None  # a table no element pointed at got one (as the output stage does)
        spreadsheet = ctx.detection is not None and ctx.detection.mime_type in SPREADSHEET_TYPES
        settings = ChunkSettings.from_options(opts, first_row_header=spreadsheet)
        tokenizer = get_tokenizer(opts["tokenizer"])
        chunks = chunk_document(document, settings, tokenizer, ctx.check_cancelled)
        ctx.chunks = chunk_dicts(document, chunks)

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[tuple[str, str]]:
        """Checks across options, once each is valid alone (``config.validate_stages`` calls this hook)."""
        max_tokens, overlap = options["max_tokens"], options["overlap_tokens"]
        # Past half, every token is repeated in three chunks or more and the result grows without bound.
        if overlap > max_tokens // 2:
            return [("overlap_tokens", f"must be below max_tokens: at most half of it ({max_tokens // 2})")]
        return []
