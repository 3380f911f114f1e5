"""Documents of known structure for the chunking tests, and the checks every chunk list must pass."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from webapp.pipeline.chunking import ChunkSettings, chunk_dicts, chunk_document
from webapp.pipeline.chunking.tokenizers import Tokenizer, WordTokenizer
from webapp.pipeline.document import FURNITURE_TYPES, Element, Page, ParsedDocument, Table
from webapp.pipeline.render import table_text


def heading(text: str, level: int = 1, page: int | None = None) -> Element:
    return Element("heading", text, page=page, level=level, bbox=(50, 50, 300, 70) if page else None)


def para(text: str, page: int | None = None) -> Element:
    return Element("paragraph", text, page=page, bbox=(50, 100, 500, 200) if page else None)


def words(prefix: str, count: int) -> str:
    """``count`` distinct words, so that where each one went can be checked."""
    return " ".join(f"{prefix}{number}" for number in range(count))


def document(*elements: Element, tables: list[Table] | None = None, pages: int = 0) -> ParsedDocument:
    return ParsedDocument(
        elements=list(elements),
        tables=tables or [],
        pages=[Page(number, 612, 792) for number in range(1, pages + 1)],
    )


def chunk(doc: ParsedDocument, tokenizer: Tokenizer | None = None, **settings: Any) -> list[dict[str, Any]]:
    """Chunk ``doc`` and check the rules every result must keep, whatever the strategy."""
    chosen = ChunkSettings(**settings)
    tokenizer = tokenizer or WordTokenizer()
    chunks = chunk_dicts(doc, chunk_document(doc, chosen, tokenizer))
    check_invariants(doc, chunks, chosen, tokenizer)
    return chunks


def check_invariants(
    doc: ParsedDocument, chunks: list[dict[str, Any]], settings: ChunkSettings, tokenizer: Tokenizer
) -> None:
    ids = {element.id for element in doc.elements}
    assert all(element.id for element in doc.elements), "assign_ids ran"
    for index, item in enumerate(chunks):
        assert item["index"] == index and item["id"] == f"c{index + 1}"
        assert item["token_count"] == tokenizer.count(item["text"]) <= settings.max_tokens, item
        assert set(item["element_ids"]) <= ids and item["element_ids"], item
        assert item["type"] in ("text", "table")
        if not doc.pages:
            assert item["pages"] == [] and item["bboxes"] == []
    assert_nothing_lost(doc, chunks)


def assert_nothing_lost(doc: ParsedDocument, chunks: list[dict[str, Any]]) -> None:
    """Every non-furniture element's words are in the chunks that name it; furniture is in none."""
    by_id: dict[str, Counter[str]] = {}
    # Without spaces, in order: a word longer than a chunk is cut between tokens across chunks.
    streams: dict[str, str] = {}
    for item in chunks:
        lead = "\n".join(item["headings"]) + "\n\n"
        body = item["text"].removeprefix(lead) if item["headings"] else item["text"]
        for element_id in item["element_ids"]:
            by_id.setdefault(element_id, Counter()).update(item["text"].split())
            streams[element_id] = streams.get(element_id, "") + "".join(body.split())
    for element in doc.elements:
        text = element.text
        if element.type == "table" and element.table_index is not None:
            text = table_text(doc.tables[element.table_index])
        if element.type in FURNITURE_TYPES or element.type == "page_break":
            assert element.id not in by_id, f"{element.type} {element.id} was chunked"
            continue
        if not text.strip():
            continue
        missing = Counter(text.split()) - by_id.get(element.id, Counter())
        lost = [word for word in missing if word not in streams.get(element.id, "")]
        assert not lost, f"{element.id} lost {sorted(lost)[:5]}"


def train_tokenizer(folder: Path, name: str = "mini") -> Path:
    """A real byte-level BPE tokenizer.json trained here on a few sentences (no download: nothing may fetch one)."""
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tokenizer = RustTokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["[UNK]"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    sentences = ["The quarterly report shows that revenue grew in every region.", "Chunks keep their headings."]
    tokenizer.train_from_iterator(sentences * 20, trainer=trainer)
    path = folder / name / "tokenizer.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(path))
    return path
