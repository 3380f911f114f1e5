"""The chunking rules, each on a document built by hand so that the right answer is known."""

from __future__ import annotations

import pytest

from tests.pipeline.chunking_helpers import chunk, document, heading, para, words
from webapp.pipeline.chunking import ChunkSettings, chunk_document
from webapp.pipeline.document import Element, ParsedDocument, Table


def _levels(doc) -> dict[str, int]:
    return {e.id: (0 if e.type == "title" else e.level or 1) for e in doc.elements if e.type in ("title", "heading")}


def _manual() -> ParsedDocument:
    return document(
        Element("title", "Manual"),
        heading("1 Scope", 1),
        para(words("scope", 30)),
        heading("1.1 Audience", 2),
        para(words("aud", 50)),
        heading("1.1.1 Readers", 3),
        para(words("read", 10)),
        heading("1.2 Goals", 2),
        para(words("goal", 20)),
        heading("2 Terms", 1),
        heading("2.1 Words", 2),
        para(words("term", 200)),
    )


@pytest.mark.parametrize("merge_small", [True, False])
@pytest.mark.parametrize("max_tokens", [16, 64, 512])
def test_by_title_never_crosses_a_heading_of_the_same_or_a_higher_level(merge_small: bool, max_tokens: int) -> None:
    """GIVEN nested sections WHEN chunked by title THEN the headings inside a chunk (not on its path) are all deeper
    than the deepest heading of its path: the chunk stays under its own heading."""
    doc = _manual()
    chunks = chunk(doc, max_tokens=max_tokens, merge_small=merge_small, min_tokens=200)
    levels = _levels(doc)
    texts = {e.id: e.text for e in doc.elements}
    for item in chunks:
        path_level = max((lvl for i, lvl in levels.items() if texts[i] in item["headings"]), default=-1)
        inside = [i for i in item["element_ids"] if i in levels and texts[i] not in item["headings"]]
        assert all(levels[i] > path_level for i in inside), item


def test_by_title_gives_each_section_its_heading_path() -> None:
    chunks = chunk(_manual(), merge_small=False)
    assert [item["headings"] for item in chunks] == [
        ["Manual", "1 Scope"],
        ["Manual", "1 Scope", "1.1 Audience"],
        ["Manual", "1 Scope", "1.1 Audience", "1.1.1 Readers"],
        ["Manual", "1 Scope", "1.2 Goals"],
        ["Manual", "2 Terms", "2.1 Words"],
    ]
    assert chunks[1]["text"].startswith("Manual\n1 Scope\n1.1 Audience\n\naud0 aud1")


def test_merge_small_joins_a_small_section_with_its_subsections_only() -> None:
    """GIVEN a small section "A.1" with a subsection, then its sibling "A.2" WHEN small sections merge THEN the
    subsection joins A.1's chunk and the sibling does not; an empty "B" joins its subsection "B.1"."""
    doc = document(
        heading("A", 1),
        para(words("a", 40)),
        heading("A.1", 2),
        para(words("one", 10)),
        heading("A.1.1", 3),
        para(words("deep", 5)),
        heading("A.2", 2),
        para(words("two", 10)),
        heading("B", 1),
        heading("B.1", 2),
        para(words("bee", 10)),
    )
    chunks = chunk(doc, merge_small=True, min_tokens=30)
    assert [item["headings"] for item in chunks] == [["A"], ["A", "A.1"], ["A", "A.2"], ["B", "B.1"]]
    assert chunks[1]["text"] == f"A\nA.1\n\n{words('one', 10)}\n\nA.1.1\n\n{words('deep', 5)}"
    separate = chunk(doc, merge_small=False)
    assert [item["headings"][-1] for item in separate] == ["A", "A.1", "A.1.1", "A.2", "B.1"]


def test_include_headings_false_puts_each_heading_once_where_it_stands() -> None:
    chunks = chunk(_manual(), merge_small=False, include_headings=False)
    joined = "\n\n".join(item["text"] for item in chunks)
    for name in ("Manual", "1 Scope", "1.1 Audience", "2 Terms", "2.1 Words"):
        assert joined.count(name) == 1, name
    assert chunks[0]["text"].startswith("Manual\n\n1 Scope\n\nscope0")


def test_a_table_that_fits_is_a_chunk_of_its_own() -> None:
    table = Table([["Region", "Revenue"], ["North", "12"], ["South", "15"]], header_rows=1)
    doc = document(
        heading("Results"),
        para(words("before", 5)),
        Element("table", "", table_index=0),
        para(words("after", 5)),
        tables=[table],
    )
    chunks = chunk(doc)
    assert [item["type"] for item in chunks] == ["text", "table", "text"]
    assert chunks[1]["text"] == "Results\n\nRegion\tRevenue\nNorth\t12\nSouth\t15"
    assert chunks[1]["element_ids"] == ["e3"]


def test_a_long_table_is_cut_between_rows_with_its_header_rows_repeated() -> None:
    rows = [["Region", "Quarter", "Revenue"], ["", "", "EUR"]] + [[f"r{n}", f"q{n}", f"v{n}"] for n in range(60)]
    doc = document(heading("Sales"), Element("table", "", table_index=0), tables=[Table(rows, header_rows=2)])
    chunks = chunk(doc, max_tokens=30)
    assert len(chunks) > 3 and all(item["type"] == "table" for item in chunks)
    seen = []
    for item in chunks:
        lines = item["text"].split("\n")
        assert lines[:4] == ["Sales", "", "Region\tQuarter\tRevenue", "\t\tEUR"], item["text"]
        seen.extend(lines[4:])
    assert seen == ["\t".join(row) for row in rows[2:]]  # every row once, whole, in order


def test_a_table_row_longer_than_a_chunk_is_cut_between_words() -> None:
    table = Table([["Name", "Notes"], ["a", words("note", 80)]], header_rows=1)
    chunks = chunk(document(Element("table", "", table_index=0), tables=[table]), max_tokens=32)
    assert len(chunks) >= 3 and all(item["text"].startswith("Name\tNotes\n") for item in chunks)


def test_a_very_long_sentence_is_cut_between_words() -> None:
    sentence = words("w", 700)
    chunks = chunk(document(para(sentence)), max_tokens=100)
    assert [item["token_count"] for item in chunks] == [100] * 7
    assert " ".join(item["text"] for item in chunks) == sentence


def test_sentences_are_kept_whole_where_they_can_be() -> None:
    sentences = [f"{words(f's{n}x', 9)}." for n in range(30)]
    chunks = chunk(document(para(" ".join(sentences))), max_tokens=48)
    for item in chunks:
        assert item["text"].endswith("."), item["text"]


def test_element_ids_are_the_documents_own() -> None:
    doc = document(heading("A"), para("one"), heading("B"), para("two"))
    assert all(e.id == "" for e in doc.elements)
    chunks = chunk(doc, merge_small=False)
    assert [e.id for e in doc.elements] == ["e1", "e2", "e3", "e4"]
    assert [item["element_ids"] for item in chunks] == [["e1", "e2"], ["e3", "e4"]]


def test_a_document_without_headings_under_by_title_is_chunked_by_tokens() -> None:
    doc = document(*(para(words(f"p{n}x", 40)) for n in range(20)))
    by_title = chunk(doc, strategy="by_title", max_tokens=100)
    assert by_title == chunk(doc, strategy="by_tokens", max_tokens=100)
    assert [item["token_count"] for item in by_title][:3] == [80, 80, 80]  # two 40-word paragraphs, a third no more


def test_a_document_with_no_text_has_no_chunks() -> None:
    doc = document(
        Element("page_break", ""),
        Element("paragraph", "  \n "),
        Element("page_header", "ACME confidential", page=1),
        Element("image", "", page=1),
        pages=1,
    )
    assert chunk_document(doc) == []
    assert chunk_document(document()) == []


def test_page_furniture_is_never_chunked() -> None:
    doc = document(
        Element("page_header", "Running head", page=1),
        para("Body one.", page=1),
        Element("page_footer", "Page 1", page=1),
        Element("page_break", ""),
        para("Body two.", page=2),
        pages=2,
    )
    chunks = chunk(doc)
    assert [item["text"] for item in chunks] == ["Body one.\n\nBody two."]
    assert chunks[0]["pages"] == [1, 2] and chunks[0]["element_ids"] == ["e2", "e5"]


def test_by_page_never_crosses_a_page() -> None:
    elements = []
    for page in range(1, 5):
        elements += [heading(f"Part {page}", 1, page), para(words(f"pg{page}x", 30), page), para("Short.", page)]
    doc = document(*elements, pages=4)
    chunks = chunk(doc, strategy="by_page", max_tokens=24)
    page_of = {e.id: e.page for e in doc.elements}
    for item in chunks:
        assert item["pages"][0] == item["pages"][1]
        assert {page_of[i] for i in item["element_ids"]} == {item["pages"][0]}
        assert {box["page"] for box in item["bboxes"]} == {item["pages"][0]}
    assert sorted({item["pages"][0] for item in chunks}) == [1, 2, 3, 4]


def test_by_element_gives_each_element_its_own_chunks() -> None:
    doc = document(heading("A"), para("one two"), para(words("x", 30)))
    chunks = chunk(doc, strategy="by_element", max_tokens=16)
    assert [item["element_ids"] for item in chunks] == [["e1"], ["e2"], ["e3"], ["e3"]]
    assert chunks[1]["text"] == "A\n\none two" and chunks[0]["text"] == "A"


def test_overlap_repeats_the_end_of_the_previous_chunk_within_a_section() -> None:
    doc = document(heading("A"), para(words("a", 100)), heading("B"), para(words("b", 100)))
    chunks = chunk(doc, max_tokens=40, overlap_tokens=10, merge_small=False)
    for previous, item in zip(chunks, chunks[1:], strict=False):
        body = item["text"].split("\n\n", 1)[1].split()
        if previous["headings"] == item["headings"]:
            assert body[:10] == previous["text"].split()[-10:]
        else:
            assert body[0] == "b0"  # a new section starts clean
    assert any(item["text"].startswith("B\n\nb0") for item in chunks)


def test_pages_and_boxes_are_those_of_the_chunks_elements() -> None:
    doc = document(heading("A", 1, page=1), para("one", page=1), para("two", page=2), pages=2)
    (item,) = chunk(doc)
    assert item["pages"] == [1, 2]
    assert item["bboxes"] == [
        {"page": 1, "bbox": [50, 50, 300, 70]},
        {"page": 1, "bbox": [50, 100, 500, 200]},
        {"page": 2, "bbox": [50, 100, 500, 200]},
    ]


def test_a_heading_too_long_for_the_path_is_kept_in_the_text() -> None:
    """GIVEN a "heading" of 40 words (bad layout) and max_tokens 32 WHEN chunked THEN the path is not repeated but
    the heading's words are still in the chunks and no chunk is too long."""
    doc = document(heading(words("long", 40)), para(words("body", 10)))
    chunks = chunk(doc, max_tokens=32)
    assert "long0" in chunks[0]["text"]


def test_settings_from_stage_options() -> None:
    settings = ChunkSettings.from_options({"strategy": "by_page", "max_tokens": 99, "tokenizer": "words"}, True)
    assert (settings.strategy, settings.max_tokens, settings.first_row_header) == ("by_page", 99, True)
