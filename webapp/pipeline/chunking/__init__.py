"""Chunks for retrieval: a document cut into pieces of at most ``max_tokens`` that keep their headings, pages,
boxes and element ids. ``chunk_document`` is the whole API; the ``chunk`` stage calls it."""

from __future__ import annotations

from collections.abc import Callable

from webapp.pipeline.chunking.model import STRATEGIES, Chunk, ChunkSettings
from webapp.pipeline.chunking.pack import Packer
from webapp.pipeline.chunking.strategies import build_groups, document_blocks
from webapp.pipeline.chunking.tokenizers import Tokenizer, WordTokenizer
from webapp.pipeline.document import ParsedDocument, assign_ids

__all__ = ["STRATEGIES", "Chunk", "ChunkSettings", "chunk_document", "chunk_dicts"]


def chunk_document(
    document: ParsedDocument,
    settings: ChunkSettings | None = None,
    tokenizer: Tokenizer | None = None,
    check_cancelled: Callable[[], None] = lambda: None,
) -> list[Chunk]:
    """The document's chunks in reading order. Gives the elements their ids first (``assign_ids`` is idempotent)."""
    settings = settings or ChunkSettings()
    tokenizer = tokenizer or WordTokenizer()
    assign_ids(document)
    packer = Packer(tokenizer, settings)
    for number, group in enumerate(build_groups(document_blocks(document, tokenizer), settings)):
        if number % 256 == 0:
            check_cancelled()
        packer.pack(group)
    return packer.chunks


def chunk_dicts(document: ParsedDocument, chunks: list[Chunk]) -> list[dict]:
    """The chunks as the result shows them; pages and boxes only for paginated sources (PDF, scans, images)."""
    paginated = bool(document.pages)
    return [chunk.to_dict(paginated) for chunk in chunks]
