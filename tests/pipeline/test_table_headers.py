"""``header_rows`` from the formats that say which rows are headers: Word's repeat-header flag, GFM, CSV."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml import OxmlElement

from tests.pipeline.helpers import parse


def _word_table(path: Path, flagged: int) -> Path:
    document = docx.Document()
    table = document.add_table(rows=4, cols=2)
    for index, row in enumerate(table.rows):
        row.cells[0].text, row.cells[1].text = f"Name {index}", str(index * 10)
        if index < flagged:
            properties = row._tr.get_or_add_trPr()
            properties.append(OxmlElement("w:tblHeader"))
    document.save(path)
    return path


def test_word_rows_marked_as_repeating_headers_are_header_rows(tmp_path):
    _, flagged = parse(_word_table(tmp_path / "two.docx", 2))
    _, plain = parse(_word_table(tmp_path / "none.docx", 0))
    assert [table.header_rows for table in flagged.tables] == [2]
    assert [table.header_rows for table in plain.tables] == [0]


def test_a_gfm_table_has_one_header_row(tmp_path):
    path = tmp_path / "t.md"
    path.write_text("# Prices\n\n| Item | Price |\n| --- | --- |\n| Tea | 3 |\n| Cake | 4 |\n", encoding="utf-8")
    assert [table.header_rows for table in parse(path)[1].tables] == [1]


def test_a_csv_header_is_told_from_a_first_data_row(tmp_path):
    named = tmp_path / "named.csv"
    named.write_text("region,sales\nNorth,12\nSouth,9\n", encoding="utf-8")
    bare = tmp_path / "bare.csv"
    bare.write_text("North,12\nSouth,9\nEast,7\n", encoding="utf-8")
    assert [table.header_rows for table in parse(named)[1].tables] == [1]
    assert [table.header_rows for table in parse(bare)[1].tables] == [0]
