from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import pytest

from bench.metrics import token_f1
from tests.pipeline.helpers import OPTIONS, corpus, expected_text, parse, rewrite_member, source
from webapp.pipeline.detect import DOCX, detect
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError
from webapp.pipeline.parsers.archive import ArchiveLimits, check_archive
from webapp.pipeline.parsers.docx import DocxParser
from webapp.pipeline.render import to_markdown, to_text

_MD_HEADING = re.compile(r"^(#{1,6}) (.*)$", re.M)
_MD_LIST_ITEM = re.compile(r"^( *)(-|\d+\.) (.*)$", re.M)


def _parse_docx(path: Path, **options):
    return DocxParser().parse(source(path), Detection(DOCX), {**OPTIONS, **options})


@pytest.mark.parametrize(
    ("name", "threshold"),
    [
        ("docx_docling_docx_lists.docx", 0.95),
        ("docx_docling_docx_rich_tables_01.docx", 0.95),
        ("docx_docling_lorem_ipsum.docx", 0.95),
        ("docx_docling_textbox.docx", 0.95),
        ("docx_docling_unit_test_headers.docx", 0.95),
        ("docx_docling_word_sample.docx", 0.95),
        ("docx_category-level.docx", 0.95),
        # The ground truth writes equations as LaTeX; we give the equation's own characters.
        ("docx_docling_equations.docx", 0.70),
    ],
)
def test_docx_text_matches_ground_truth(name: str, threshold: float) -> None:
    _, document = parse(corpus(name))
    assert token_f1(to_markdown(document), expected_text(name)) >= threshold


def test_heading_levels_follow_the_ground_truth() -> None:
    """GIVEN a document with a Title and Heading 1-4 styles: docling puts the title on top, as we do."""
    name = "docx_docling_unit_test_headers.docx"
    _, document = parse(corpus(name))
    ours = _MD_HEADING.findall(to_markdown(document))
    assert ours == _MD_HEADING.findall(expected_text(name))
    assert document.elements[0].type == "title"


def test_list_levels_and_kinds_follow_the_ground_truth() -> None:
    name = "docx_docling_docx_lists.docx"
    _, document = parse(corpus(name))

    def shape(markdown: str, indent: int) -> list[tuple[int, bool, str]]:
        items = _MD_LIST_ITEM.findall(markdown)
        return [(len(spaces) // indent, marker != "-", text) for spaces, marker, text in items]

    # The first 30 items (tests 1-7) are plain numbered and bulleted lists; later tests mix in continuation rules.
    ours = shape(to_markdown(document), 2)[:30]
    assert ours == shape(expected_text(name), 4)[:30]
    nested = [element for element in document.elements if element.type == "list_item" and element.level == 2]
    assert [element.text for element in nested][:2] == ["List item 1.1.1", "List item 1.2.1"]


def test_tables_in_document_order() -> None:
    _, document = parse(corpus("docx_docling_word_sample.docx"))
    kinds = [element.type for element in document.elements]
    table_position = kinds.index("table")
    assert document.elements[table_position - 1].text.startswith("Here are some interesting things")
    assert document.tables[0].rows[0] == ["", "Food", "Calories per portion"]
    assert document.tables[0].rows[1] == ["Leaves", "Ash, Elm, Maple", "50"]
    assert document.metadata["author"] == "Christoph Auer"
    assert document.metadata["created"] == "2024-10-09T12:43:00Z"


def test_text_boxes_come_out_once() -> None:
    _, document = parse(corpus("docx_docling_textbox.docx"))
    text = to_text(document)
    assert text.count("Student falls ill") == 1
    assert "Health Bureau" in text


def test_encrypted_docx_fails_at_detection() -> None:
    with pytest.raises(EncryptedFileError, match="password-protected"):
        detect(source(corpus("bad_docx_tika_protected_passtika.docx")))


def test_truncated_docx_is_corrupt() -> None:
    with pytest.raises(CorruptFileError, match="damaged or truncated"):
        parse(corpus("bad_docx_truncated_derived.docx"))


def _generated_docx(path: Path) -> Path:
    document = docx.Document()
    document.core_properties.title = "Quarterly report"
    document.core_properties.author = "Ada Lovelace"
    document.add_heading("Quarterly report", 0)
    document.add_heading("Summary", 1)
    document.add_paragraph("Revenue grew.")
    document.add_paragraph("First point", style="List Bullet")
    document.add_paragraph("Nested point", style="List Bullet 2")
    document.add_paragraph("Step one", style="List Number")
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, (("Region", "Sales"), ("North", "12 | 13")), strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("After the table.")
    document.save(str(path))
    return path


def test_generated_docx_structure(tmp_path: Path) -> None:
    _, document = parse(_generated_docx(tmp_path / "report.docx"))
    shapes = [(element.type, element.text, element.level, element.ordered) for element in document.elements]
    assert shapes == [
        ("title", "Quarterly report", None, False),
        ("heading", "Summary", 1, False),
        ("paragraph", "Revenue grew.", None, False),
        ("list_item", "First point", 0, False),
        ("list_item", "Nested point", 1, False),
        ("list_item", "Step one", 0, True),
        ("table", "Region\tSales\nNorth\t12 | 13", None, False),
        ("paragraph", "After the table.", None, False),
    ]
    assert document.metadata["title"] == "Quarterly report"
    assert document.metadata["author"] == "Ada Lovelace"
    assert "| North | 12 \\| 13 |" in to_markdown(document)


def test_tables_option_off_keeps_cell_text_as_paragraphs(tmp_path: Path) -> None:
    document = _parse_docx(_generated_docx(tmp_path / "report.docx"), tables=False)
    assert document.tables == []
    assert "North" in [element.text for element in document.elements]


def test_entity_bomb_is_rejected(tmp_path: Path) -> None:
    """GIVEN a docx whose document.xml declares nested entities ("billion laughs")."""
    path = _generated_docx(tmp_path / "bomb.docx")
    declaration = b'<!DOCTYPE w:document [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    rewrite_member(path, "word/document.xml", lambda xml: xml.replace(b"?>", b"?>" + declaration, 1))
    with pytest.raises(CorruptFileError, match="DOCTYPE or ENTITY"):
        _parse_docx(path)


def test_zip_bomb_is_rejected(tmp_path: Path) -> None:
    """GIVEN a docx with a 20 MiB member that deflates to a few KiB (ratio ~1000:1): cheap to build and check."""
    path = _generated_docx(tmp_path / "zipbomb.docx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.bin", bytes(20 * 1024 * 1024))
    with pytest.raises(LimitExceededError, match="archive expands too much"):
        _parse_docx(path)


def test_archive_limits_on_total_size_and_member_count(tmp_path: Path) -> None:
    path = _generated_docx(tmp_path / "report.docx")
    check_archive(path)
    with pytest.raises(LimitExceededError, match="expands too much"):
        check_archive(path, ArchiveLimits(max_total_bytes=10_000))
    with pytest.raises(LimitExceededError, match="members"):
        check_archive(path, ArchiveLimits(max_members=3))


def test_zip_that_is_not_a_word_document_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/readme.txt", "no document part here")
    with pytest.raises(CorruptFileError, match="cannot be opened"):
        _parse_docx(path)
