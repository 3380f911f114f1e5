"""Chunking real corpus files of every format, through the parsers (and once through the whole pipeline)."""

from __future__ import annotations

from functools import cache

import pytest

from tests.pipeline.chunking_helpers import chunk
from tests.pipeline.helpers import corpus, parse, source
from webapp.pipeline.config import StageConfig, default_stages
from webapp.pipeline.document import ParsedDocument
from webapp.pipeline.runner import run_pipeline


@cache
def _parsed(name: str) -> ParsedDocument:
    return parse(corpus(name))[1]


FILES = [
    "docx_docling_unit_test_headers.docx",
    "docx_docling_docx_lists.docx",
    "html_docling_example_03.html",
    "html_wiki_wkey_am.html",
    "md_kreuzberg_comprehensive.md",
    "pdf_docling_multi_page.pdf",
    "pdf_arxiv_2201.00200.pdf",
    "xlsx_docling_xlsx_01.xlsx",
    "csv_docling_csv-comma.csv",
    "eml_fake-email-attachment.eml",
    "msg_fake-email.msg",
    "pptx_tika_testPPT.pptx",
    "txt_norwich-city.txt",
]


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("strategy", ["by_title", "by_tokens", "by_page", "by_element"])
def test_every_format_keeps_the_rules(name: str, strategy: str) -> None:
    """The helper checks: token_count <= max_tokens and exact, element ids the document's, nothing lost."""
    chunks = chunk(_parsed(name), strategy=strategy, max_tokens=64, overlap_tokens=8)
    assert chunks


def test_docx_headings_drive_by_title() -> None:
    chunks = chunk(_parsed("docx_docling_unit_test_headers.docx"), merge_small=False)
    assert [item["headings"][1:] for item in chunks] == [
        ["Section 1"],
        ["Section 1", "Section 1.1"],
        ["Section 1", "Section 1.2"],
        ["Section 1", "Section 1.2", "Section 1.2.3"],
        ["Section 2"],
        ["Section 2", "Section 2.1.1"],
        ["Section 2", "Section 2.1"],
    ]
    assert all(item["headings"][0] == "Test Document" for item in chunks)
    assert chunks[1]["text"] == "Test Document\nSection 1\nSection 1.1\n\nParagraph 1.1.1\n\nParagraph 1.1.2"


def test_html_headings_and_table() -> None:
    chunks = chunk(_parsed("html_docling_example_03.html"), merge_small=False)
    assert [(item["headings"][-1], item["type"]) for item in chunks] == [
        ("Introduction", "text"),
        ("Background", "text"),
        ("Data Table", "table"),
    ]
    assert chunks[2]["text"].startswith("Example Document\nData Table\n\nHeader 1\tHeader 2\tHeader 3\n")
    # Small sections merge under their parent heading; the table stays a chunk of its own.
    merged = chunk(_parsed("html_docling_example_03.html"))
    assert [(item["headings"], item["type"]) for item in merged] == [
        (["Example Document"], "text"),
        (["Example Document"], "table"),
    ]
    assert "\n\nBackground\n\nSome background information here." in merged[0]["text"]


def test_markdown_headings() -> None:
    chunks = chunk(_parsed("md_docling_wiki.md"))
    assert [item["headings"] for item in chunks] == [["IBM"], ["IBM", "1910s–1950s"], ["IBM", "1960s–1980s"]]


def test_pdf_chunks_carry_pages_and_boxes_through_the_pipeline() -> None:
    stages = [*default_stages()[:4], StageConfig("chunk", {"max_tokens": 128}), default_stages()[4]]
    result = run_pipeline(source(corpus("pdf_docling_multi_page.pdf")), stages)
    chunks, elements = result["chunks"], {element["id"]: element for element in result["elements"]}
    assert len(chunks) > 5
    for item in chunks:
        assert 1 <= item["pages"][0] <= item["pages"][1] <= len(result["pages"])
        assert item["bboxes"] and all(item["pages"][0] <= box["page"] <= item["pages"][1] for box in item["bboxes"])
        for element_id in item["element_ids"]:
            assert elements[element_id]["type"] not in ("page_header", "page_footer")
    headings = [element["text"] for element in result["elements"] if element["type"] == "heading"]
    assert {item["headings"][-1] for item in chunks} <= set(headings)
    assert "Pre-Digital Era (19th - Early 20th Century)" in {item["headings"][-1] for item in chunks}


def test_pdf_by_page_never_crosses_a_page() -> None:
    doc = _parsed("pdf_arxiv_2201.00200.pdf")
    page_of = {element.id: element.page for element in doc.elements}
    chunks = chunk(doc, strategy="by_page", max_tokens=256)
    for item in chunks:
        assert item["pages"][0] == item["pages"][1]
        assert {page_of[element_id] for element_id in item["element_ids"]} == {item["pages"][0]}
    assert {item["pages"][0] for item in chunks} == set(range(1, 8))


def test_spreadsheet_chunks_by_sheet_and_row_groups_with_the_header_row() -> None:
    doc = _parsed("xlsx_docling_xlsx_01.xlsx")
    chunks = chunk(doc, max_tokens=24, first_row_header=True)
    sheets = {element.id: element.text for element in doc.elements if element.type == "heading"}
    for item in chunks:
        assert item["type"] == "table" and len(item["headings"]) == 1
        sheet = item["headings"][0]
        first_row = next(t for t in doc.tables if t.page == int(sheet.removeprefix("Sheet"))).rows[0]
        assert item["text"].startswith(f"{sheet}\n\n" + "\t".join(first_row) + "\n")
    assert [item["headings"][0] for item in chunks].count("Sheet2") >= 2
    assert set(sheets.values()) == {item["headings"][0] for item in chunks}


def test_csv_is_one_table_chunk_when_it_fits() -> None:
    (item,) = chunk(_parsed("csv_docling_csv-comma.csv"), first_row_header=True)
    assert item["type"] == "table" and item["text"].startswith("Index\tCustomer Id")


def test_email_is_chunked_by_part() -> None:
    chunks = chunk(_parsed("eml_fake-email-attachment.eml"))
    assert [item["headings"] for item in chunks] == [
        ["Fake email with attachment"],
        ["Fake email with attachment", "Attachment: fake-attachment.txt"],
    ]
    assert "From: Mallori Harrell" in chunks[0]["text"] and "Hey this is a fake attachment!" not in chunks[0]["text"]
    assert chunks[1]["text"].endswith("Hey this is a fake attachment!")
