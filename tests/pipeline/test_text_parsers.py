from __future__ import annotations

import time
from pathlib import Path

from bench.metrics import token_f1
from tests.pipeline.helpers import corpus, expected_text, parse
from webapp.pipeline.render import to_markdown, to_text

FRENCH = "Le café de la rue Saint-Honoré était plein : « déjà vu », dit-il — naïveté, résumé, “guillemets”, 5 €."


def test_utf16_file_is_decoded() -> None:
    detection, document = parse(corpus("txt_fake-text-utf-16.txt"))
    text = to_text(document)
    assert text.startswith("This is a test document to use for unit tests.")
    assert "\x00" not in text and "\ufeff" not in text
    assert document.metadata["encoding"] == detection.encoding == "utf-16"
    assert document.signals["encoding_repairs"] == 0


def test_cp1252_file_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(f"{FRENCH}\n\nSecond paragraph, line one\nline two.\n".encode("cp1252"))
    detection, document = parse(path)
    assert detection.encoding == "cp1252"
    assert [element.text for element in document.elements] == [FRENCH, "Second paragraph, line one\nline two."]
    assert document.signals["encoding_repairs"] == 0


def test_undecodable_bytes_are_counted_and_replaced(tmp_path: Path) -> None:
    """GIVEN a UTF-8 file (as detection saw in its first 64 KiB) with two broken bytes further on."""
    path = tmp_path / "mostly-utf8.txt"
    path.write_bytes(("é" * 40000).encode() + b"\nbroken \xff and \xfe here\n")
    _, document = parse(path)
    assert document.signals["encoding_repairs"] == 2
    assert "broken \ufffd and \ufffd here" in to_text(document)
    assert document.warnings == ["2 byte sequences could not be decoded as utf-8 and were replaced"]


def test_big_text_file_is_streamed_quickly() -> None:
    started = time.perf_counter()
    _, document = parse(corpus("txt_war-and-peace-1225p.txt"))
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0  # about 0.05 s on a laptop
    assert len(document.elements) > 10000
    assert "Pierre" in to_text(document)


def test_csv_becomes_one_table() -> None:
    name = "csv_docling_csv-comma.csv"
    _, document = parse(corpus(name))
    assert [element.type for element in document.elements] == ["table"]
    assert token_f1(to_markdown(document), expected_text(name)) >= 0.99
    table = document.tables[0]
    assert table.rows[0][:3] == ["Index", "Customer Id", "First Name"]
    assert table.rows[2][3] == "Lozano, Dr"  # a quoted field with the delimiter inside
    assert document.metadata["delimiter"] == ","


def test_csv_with_title_row() -> None:
    _, document = parse(corpus("csv_stanley-cups.csv"))
    assert document.tables[0].rows == [
        ["Stanley Cups", "", ""],
        ["Team", "Location", "Stanley Cups"],
        ["Blues", "STL", "1"],
        ["Flyers", "PHI", "2"],
        ["Maple Leafs", "TOR", "13"],
    ]


def test_semicolon_and_tab_separated_files(tmp_path: Path) -> None:
    semicolons = tmp_path / "export.csv"
    semicolons.write_text("Name;Amount\nAda;1,5\nAlan;2,25\n", encoding="cp1252")
    tabs = tmp_path / "export.tsv"
    tabs.write_text('Name\tNote\nAda\t"quoted, with comma"\nAlan\tplain\n')
    assert parse(semicolons)[1].tables[0].rows[1] == ["Ada", "1,5"]
    detection, document = parse(tabs)
    assert detection.mime_type == "text/tab-separated-values"
    assert document.tables[0].rows[1] == ["Ada", "quoted, with comma"]


def test_multiline_quoted_field(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('id,note\n1,"first line\nsecond line"\n2,plain\n', encoding="utf-8")
    assert parse(path)[1].tables[0].rows[1] == ["1", "first line\nsecond line"]


def test_markdown_corpus_file() -> None:
    _, document = parse(corpus("md_docling_wiki.md"))
    headings = [(element.level, element.text) for element in document.elements if element.type == "heading"]
    assert headings[0] == (1, "IBM")
    assert (2, "1910s–1950s") in headings


def test_markdown_blocks(tmp_path: Path) -> None:
    path = tmp_path / "readme.md"
    path.write_text(
        "Title\n=====\n\nSome **bold** and a [link](https://example.org).\n\n"
        "- one\n- two\n  - nested\n\n1. first\n2. second\n\n> quoted\n\n"
        "```python\n# not a heading\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter.\n",
        encoding="utf-8",
    )
    _, document = parse(path)
    shapes = [(element.type, element.text, element.level, element.ordered) for element in document.elements]
    assert shapes == [
        ("heading", "Title", 1, False),
        ("paragraph", "Some bold and a link.", None, False),
        ("list_item", "one", 0, False),
        ("list_item", "two", 0, False),
        ("list_item", "nested", 1, False),
        ("list_item", "first", 0, True),
        ("list_item", "second", 0, True),
        ("quote", "quoted", None, False),
        ("code", "# not a heading", None, False),
        ("table", "a\tb\n1\t2", None, False),
        ("paragraph", "After.", None, False),
    ]
    assert document.tables[0].rows == [["a", "b"], ["1", "2"]]
