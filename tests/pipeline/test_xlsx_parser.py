from __future__ import annotations

import datetime as dt
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from bench.metrics import token_f1
from tests.pipeline.helpers import OPTIONS, corpus, expected_text, parse, rewrite_member, source
from webapp.pipeline.detect import XLSM, XLSX, detect
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.parsers.xlsx import XlsxParser, cell_text
from webapp.pipeline.render import to_markdown


def _parse_xlsx(path: Path, **options):
    return XlsxParser().parse(source(path), Detection(XLSX), {**OPTIONS, **options})


@pytest.mark.parametrize(
    ("name", "threshold"),
    [
        # docling's ground truth repeats chart data as extra tables and fills merged cells; we give each value once.
        ("xlsx_docling_xlsx_01.xlsx", 0.75),
        ("xlsx_docling_xlsx_05_table_with_title.xlsx", 0.98),
        ("xlsx_vodafone.xlsx", 0.97),
    ],
)
def test_xlsx_text_matches_ground_truth(name: str, threshold: float) -> None:
    _, document = parse(corpus(name))
    assert token_f1(to_markdown(document), expected_text(name)) >= threshold


def test_one_heading_and_one_table_per_sheet() -> None:
    _, document = parse(corpus("xlsx_tika_testEXCEL.xlsx"))
    assert document.metadata["sheet_count"] == 3
    assert document.metadata["sheets"] == ["Feuil1", "Feuil2", "Feuil3"]
    headings = [(element.text, element.page) for element in document.elements if element.type == "heading"]
    assert headings == [("Feuil1", 1), ("Feuil2", 2), ("Feuil3", 3)]
    assert len(document.tables) == 1  # the other two sheets are empty
    rows = document.tables[0].rows
    assert rows[0][0] == "Sample Excel Worksheet - Numbers and their Squares"
    assert ["", "Number", "Square"] in rows
    assert ["", "15", "225"] in rows
    assert document.tables[0].page == 1


def test_core_properties_become_metadata() -> None:
    _, document = parse(corpus("xlsx_tika_testEXCEL.xlsx"))
    assert document.metadata["title"] == "Simple Excel document"
    assert document.metadata["author"] == "Keith Bennett"
    assert document.metadata["created"] == "2007-10-01T16:13:56Z"


def test_empty_core_properties_give_no_invented_author_or_date() -> None:
    """GIVEN a file whose docProps/core.xml is empty: openpyxl would report "openpyxl" and "now"."""
    _, document = parse(corpus("xlsx_vodafone.xlsx"))
    assert "author" not in document.metadata
    assert "created" not in document.metadata


def test_leading_empty_rows_and_columns_are_trimmed() -> None:
    _, document = parse(corpus("xlsx_docling_xlsx_05_table_with_title.xlsx"))
    rows = document.tables[0].rows
    assert rows[0] == ["Number of freshwater ducks per year", ""]
    assert rows[1] == ["Year", "Freshwater Ducks"]
    assert rows[-1] == ["2024", "180"]


def test_hidden_sheets_are_read_and_named() -> None:
    _, document = parse(corpus("xlsx_docling_xlsx_01.xlsx"))
    assert document.metadata["hidden_sheets"] == ["Sheet4"]
    assert document.tables[-1].rows == [["header"], ["1"]]


def _workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append(["Name", "Amount", "When", "Paid"])
    sheet.append(["Tea", 0.1 + 0.2, dt.datetime(2024, 3, 1), True])
    sheet.append(["Coffee", 12.0, dt.datetime(2024, 3, 2, 14, 30), False])
    sheet["F10"] = None  # touched, empty: must not widen the table
    workbook.create_sheet("Empty")
    workbook.properties.title = "Expenses"
    workbook.save(path)
    return path


def test_generated_workbook_values(tmp_path: Path) -> None:
    detection, document = parse(_workbook(tmp_path / "expenses.xlsx"))
    assert detection.mime_type == XLSX
    assert document.tables[0].rows == [
        ["Name", "Amount", "When", "Paid"],
        ["Tea", "0.3", "2024-03-01", "TRUE"],
        ["Coffee", "12", "2024-03-02 14:30:00", "FALSE"],
    ]
    assert document.metadata["title"] == "Expenses"
    assert document.metadata["sheets"] == ["Data", "Empty"]
    assert "| Tea | 0.3 | 2024-03-01 | TRUE |" in to_markdown(document)


def test_tables_option_off_gives_rows_as_paragraphs(tmp_path: Path) -> None:
    document = _parse_xlsx(_workbook(tmp_path / "expenses.xlsx"), tables=False)
    assert document.tables == []
    assert "Tea\t0.3\t2024-03-01\tTRUE" in [element.text for element in document.elements]


def test_cell_limit_names_the_limit(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    for row in range(40):
        workbook.active.append([row] * 40)
    workbook.save(tmp_path / "big.xlsx")
    with pytest.raises(LimitExceededError, match="max_cells"):
        _parse_xlsx(tmp_path / "big.xlsx", max_cells=1000)


def test_row_far_below_the_data_is_read_without_walking_the_gap(tmp_path: Path) -> None:
    """GIVEN a sheet declaring the whole grid and a row number of 50 million: the gap must not be walked
    (stepping through it took ~10 s before it hit the cell limit)."""
    path = _workbook(tmp_path / "far.xlsx")
    far_row = b'<row r="50000000"><c r="A50000000" t="inlineStr"><is><t>far</t></is></c></row></sheetData>'
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", far_row).replace(b'ref="A1:F10"', b'ref="A1:XFD1048576"'),
    )
    started = time.perf_counter()
    document = _parse_xlsx(path)
    assert time.perf_counter() - started < 2.0
    assert document.tables[0].rows[-1] == ["far", "", "", ""]
    assert len(document.tables[0].rows) == 4


RESULTS = [["Model", "Accuracy", "Latency"]] + [[f"model-{index}", index / 100, index * 3] for index in range(40)]
EXPECTED_ROWS = [["Model", "Accuracy", "Latency"]] + [
    [f"model-{index}", cell_text(index / 100), str(index * 3)] for index in range(40)
]


def _inflated_workbook(path: Path, inflate: str) -> Path:
    """A results sheet of 123 values whose formatting claims the whole grid, as spreadsheet programs write it:
    every column formatted, the dimension A1:XFD1048576, and either each of the 1,048,576 rows formatted or a
    bordered block of 40,000 x 26 empty cells (1,040,000 formatted cells)."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Results")
    shaded = workbook.add_format({"bg_color": "#F2F2F2", "border": 1})
    sheet.set_column(0, 16383, 12, shaded)
    for number, row in enumerate(RESULTS):
        sheet.write_row(number, 0, row)
    workbook.close()
    if inflate == "rows":
        filler = b"".join(b'<row r="%d" s="1" customFormat="1"/>' % number for number in range(42, 1_048_577))
    else:
        columns = [chr(ord("A") + index).encode() for index in range(26)]
        filler = b"".join(
            b'<row r="%d">' % number + b"".join(b'<c r="%s%d" s="1"/>' % (c, number) for c in columns) + b"</row>"
            for number in range(42, 40_042)
        )
    rewrite_member(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml).replace(
            b"</sheetData>", filler + b"</sheetData>"
        ),
    )
    return path


@pytest.mark.parametrize("inflate", ["rows", "cells"])
def test_inflated_sheet_range_counts_only_the_values(tmp_path: Path, inflate: str) -> None:
    """GIVEN 123 values in a sheet formatted down to row 1,048,576 (or over a million formatted empty cells),
    which failed as "more than 1,000,000 table cells" THEN the table holds just the values, without the
    trailing empty rows and columns, and only the values are counted."""
    document = _parse_xlsx(_inflated_workbook(tmp_path / f"{inflate}.xlsx", inflate))
    assert [table.rows for table in document.tables] == [EXPECTED_ROWS]
    assert document.signals["cells"] == 123


def test_sheet_holding_too_many_values_still_hits_the_cell_limit(tmp_path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(tmp_path / "many.xlsx"))
    sheet = workbook.add_worksheet()
    for row in range(120):
        sheet.write_row(row, 0, list(range(10)))
    workbook.close()
    assert _parse_xlsx(tmp_path / "many.xlsx", max_cells=1500).signals["cells"] == 1200
    with pytest.raises(LimitExceededError, match="more than 1,000 table cells"):
        _parse_xlsx(tmp_path / "many.xlsx", max_cells=1000)


def test_one_value_far_to_the_right_cannot_widen_every_row_past_the_limit(tmp_path: Path) -> None:
    """GIVEN 100 values in column A and one in column XFD: few values, but a table 16,384 columns wide."""
    workbook = xlsxwriter.Workbook(str(tmp_path / "wide.xlsx"))
    sheet = workbook.add_worksheet()
    for row in range(100):
        sheet.write(row, 0, f"row {row}")
    sheet.write(0, 16383, "far right")
    workbook.close()
    with pytest.raises(LimitExceededError, match="max_cells"):
        _parse_xlsx(tmp_path / "wide.xlsx")


def test_cells_without_references_take_the_next_column(tmp_path: Path) -> None:
    """GIVEN rows and cells without r attributes (allowed by the format, written by some generators)."""
    path = _workbook(tmp_path / "bare.xlsx")
    bare = (
        b'<row><c t="inlineStr"><is><t>x</t></is></c><c s="1"/><c t="inlineStr"><is><t>z</t></is></c></row></sheetData>'
    )
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"</sheetData>", bare))
    assert _parse_xlsx(path).tables[0].rows[-1] == ["x", "", "z", ""]


def test_openpyxl_warnings_become_document_warnings(tmp_path: Path) -> None:
    """GIVEN a date-formatted cell whose serial number is no date: openpyxl warns (an error under pytest)."""
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = 10**12
    workbook.active["A1"].number_format = "yyyy-mm-dd"
    workbook.save(tmp_path / "dates.xlsx")
    document = _parse_xlsx(tmp_path / "dates.xlsx")
    assert document.tables[0].rows == [["#VALUE!"]]
    assert any("outside the limits for dates" in warning for warning in document.warnings)


def test_macro_enabled_workbook_is_detected_and_read(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "macros.bin")
    rewrite_member(
        path,
        "[Content_Types].xml",
        lambda xml: xml.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        ),
    )
    detection, document = parse(path)
    assert detection.mime_type == XLSM
    assert document.tables[0].rows[1][0] == "Tea"


def test_zip_bomb_is_rejected(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(20 * 1024 * 1024))
    with pytest.raises(LimitExceededError, match="archive expands too much"):
        _parse_xlsx(path)


def test_entity_bomb_is_rejected(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "entities.xlsx")
    declaration = b'<!DOCTYPE worksheet [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: declaration + xml)  # openpyxl writes no <?xml?>
    with pytest.raises(CorruptFileError, match="DOCTYPE or ENTITY"):
        _parse_xlsx(path)


def test_spreadsheet_package_without_a_workbook_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/readme.txt", "no workbook here")
    assert detect(source(path)).mime_type == XLSX
    with pytest.raises(CorruptFileError, match="cannot be opened"):
        _parse_xlsx(path)


def test_damaged_sheet_xml_is_corrupt(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "damaged.xlsx")
    rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])
    with pytest.raises(CorruptFileError, match="sheet 'Data' cannot be read"):
        _parse_xlsx(path)
