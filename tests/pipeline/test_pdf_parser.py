from __future__ import annotations

from pathlib import Path

import pytest

from bench.metrics import token_f1
from tests.pipeline.helpers import OPTIONS, corpus, expected_text, parse, source
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError
from webapp.pipeline.parsers.pdf import PdfParser, pdf_date_to_rfc3339
from webapp.pipeline.parsers.pdf_text import clean_page_text, page_blocks
from webapp.pipeline.render import to_markdown, to_text

PDF = Detection("application/pdf")


def _parse_pdf(path: Path, **options):
    return PdfParser().parse(source(path), PDF, {**OPTIONS, **options})


# Observed F1 is 0.85-0.997; 2201.00022's ground truth stops before the references, hence its low score.
@pytest.mark.parametrize(
    "name",
    [
        "pdf_arxiv_1601.03642.pdf",
        "pdf_arxiv_2201.00022.pdf",
        "pdf_arxiv_2201.00029.pdf",
        "pdf_arxiv_2201.00151.pdf",
        "pdf_arxiv_2201.00200.pdf",
    ],
)
def test_arxiv_text_matches_ground_truth(name: str) -> None:
    _, document = parse(corpus(name))
    assert token_f1(to_markdown(document), expected_text(name)) >= 0.80
    assert token_f1(to_text(document), expected_text(name)) >= 0.80


def test_known_words_pages_and_metadata() -> None:
    _, document = parse(corpus("pdf_arxiv_2201.00200.pdf"))
    text = to_text(document)
    assert "Local heating due to convective overshooting" in text
    assert "helioseismology" in text
    # Soft hyphens at line ends are joined, LaTeX's separate accents composed.
    assert "so\ufffelar" not in text and "solar modelling problem" in text
    assert "Supérieure" in text
    assert document.metadata["page_count"] == 7
    assert document.metadata["created"] == "2022-01-04T01:50:20Z"
    assert document.signals == {"pages": 7, "empty_pages": 0, "chars_per_page": document.signals["chars_per_page"]}
    assert document.signals["chars_per_page"] > 1000
    pages = [element.page for element in document.elements]
    assert pages[0] == 1 and max(pages) == 7 and pages == sorted(pages)
    assert sum(1 for element in document.elements if element.type == "page_break") == 6
    assert document.warnings == []


def test_owner_password_only_pdf_still_extracts() -> None:
    """GIVEN a PDF with copy protection (owner password) but no password needed to open it."""
    _, document = parse(corpus("bad_pdf_copy-protected.pdf"))
    assert document.signals["pages"] == 2
    assert len(to_text(document)) > 4000


def test_encrypted_with_empty_user_password_extracts() -> None:
    _, document = parse(corpus("bad_pdf_tika_protected.pdf"))
    assert document.metadata["page_count"] == 41
    assert "Financial" in to_text(document)


@pytest.mark.parametrize("name", ["bad_pdf_encrypted_userpw_libreoffice.pdf", "bad_pdf_docling_2206.01062_pg3_pw.pdf"])
def test_user_password_pdf_is_encrypted_file_error(name: str) -> None:
    with pytest.raises(EncryptedFileError, match="password-protected"):
        parse(corpus(name))


@pytest.mark.parametrize("name", ["bad_pdf_truncated_derived.pdf", "bad_pdf_zero_bytes_derived.pdf"])
def test_unopenable_pdf_is_corrupt_with_pdfiums_reason(name: str) -> None:
    with pytest.raises(CorruptFileError, match="Data format error"):
        _parse_pdf(corpus(name))


@pytest.mark.parametrize(
    "name",
    ["bad_pdf_failure-after-repair.pdf", "bad_pdf_invalid-structure-pdfminer.pdf", "bad_pdf_tika_bad_page_303226.pdf"],
)
def test_malformed_but_readable_pdfs_extract(name: str) -> None:
    _, document = parse(corpus(name))
    assert len(to_text(document)) > 5000


def test_page_limit() -> None:
    with pytest.raises(LimitExceededError, match="7 pages; this pipeline accepts at most 5"):
        _parse_pdf(corpus("pdf_arxiv_2201.00200.pdf"), max_pages=5)


def test_scanned_pdf_with_ocr_turned_off_warns() -> None:
    _, document = parse(corpus("pdf_scan_image_only_german.pdf"), ocr="never")
    assert document.signals["pages"] == 3
    assert document.signals["empty_pages"] == 3
    assert document.warnings == ["3 of 3 pages have no text layer (scanned?); OCR is turned off (parse.ocr)"]
    assert to_text(document) == ""


def test_the_same_parser_runs_many_documents() -> None:
    """Handles are closed per page and per document: repeated runs give identical results."""
    parser, path = PdfParser(), corpus("pdf_docling_multi_page.pdf")
    results = {to_text(parser.parse(source(path), PDF, OPTIONS)) for _ in range(20)}
    assert len(results) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("D:20230104015020Z", "2023-01-04T01:50:20Z"),
        ("D:20160824142030+10'00'", "2016-08-24T14:20:30+10:00"),
        ("D:20220103204256-05'00", "2022-01-03T20:42:56-05:00"),
        ("D:20010402091812", "2001-04-02T09:18:12Z"),
        ("D:2009", "2009-01-01T00:00:00Z"),
        ("D:20231345000000Z", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_pdf_dates_become_rfc3339(value: str, expected: str | None) -> None:
    assert pdf_date_to_rfc3339(value) == expected


def test_page_blocks_split_paragraphs_and_list_items() -> None:
    full = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor"
    raw = (
        "A Short Title\r\n"
        f"{full} first paragraph runs over\r\n"
        f"{full} several lines and state-\r\n"
        "of-the-art ends here.\r\n"
        f"{full} second para\ufffegraph starts\r\n"
        "and ends.\r\n"
        "• a bullet point\r\n"
        "\r\n"
        "After a blank line"
    )
    blocks = page_blocks(clean_page_text(raw))
    assert blocks == [
        ("paragraph", "A Short Title"),
        ("paragraph", f"{full} first paragraph runs over {full} several lines and state-of-the-art ends here."),
        ("paragraph", f"{full} second paragraph starts and ends."),
        ("list_item", "a bullet point"),
        ("paragraph", "After a blank line"),
    ]
