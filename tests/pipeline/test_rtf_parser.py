from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.helpers import OPTIONS, parse, source
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.parsers.rtf import MAX_DEPTH, RtfParser
from webapp.pipeline.render import to_markdown, to_text

# What Word and WordPad write: tables of fonts, colours and styles, an info group, a picture, \*-destinations,
# a field, hex-escaped code page bytes and \u characters with their ANSI fallbacks.
WORD_LIKE = rb"""{\rtf1\ansi\ansicpg1252\deff0\deflang1033{\fonttbl{\f0\froman Times New Roman;}{\f1\fswiss Arial;}}
{\colortbl;\red0\green0\blue0;}{\stylesheet{\s0 Normal;}{\s1 heading 1;}}
{\info{\title Quarterly report}{\author Ada Lovelace}{\operator Ada}{\creatim\yr2024\mo3\dy1}}
{\*\generator Riched20 10.0.19041}\viewkind4\uc1
\pard\s1\b\f1\fs32 Quarterly report\b0\par
\pard\f0\fs24 Revenue grew by 5%. Caf\'e9 sales \endash  and cr\u232\'e8me br\u251\'fbl\u233\'e9e \emdash  too.\par
{\pict\wmetafile8\picw100\pich100 0100090000036e00000000004500000000000000}
Prices in \u8364? and line\line break.{\*\bkmkstart x}{\*\bkmkend x}\par
{\field{\*\fldinst HYPERLINK "https://example.org"}{\fldrslt Example link}}\par
\trowd\cellx2000\cellx4000\pard\intbl Region\cell Sales\cell\row
\trowd\cellx2000\cellx4000\pard\intbl North\cell 12\cell\row
\pard After the table.\par
}"""


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "letter.rtf"
    path.write_bytes(data)
    return path


def test_word_like_rtf(tmp_path: Path) -> None:
    detection, document = parse(_write(tmp_path, WORD_LIKE))
    assert detection.mime_type == "application/rtf"
    assert [(element.type, element.text) for element in document.elements] == [
        ("paragraph", "Quarterly report"),
        ("paragraph", "Revenue grew by 5%. Café sales \u2013 and crème brûlée \u2014 too."),
        ("paragraph", "Prices in € and line\nbreak."),
        ("paragraph", "Example link"),
        ("table", "Region\tSales\nNorth\t12"),
        ("paragraph", "After the table."),
    ]
    assert document.tables[0].rows == [["Region", "Sales"], ["North", "12"]]
    assert document.metadata == {"title": "Quarterly report", "author": "Ada Lovelace"}
    assert "| North | 12 |" in to_markdown(document)


def test_multibyte_code_page(tmp_path: Path) -> None:
    """GIVEN Simplified Chinese in GBK (code page 936) as \\'hh byte pairs."""
    hex_text = "".join(f"\\'{byte:02x}" for byte in "中文测试".encode("gbk")).encode()
    document = RtfParser().parse(
        source(_write(tmp_path, rb"{\rtf1\ansi\ansicpg936 " + hex_text + rb"\par}")),
        Detection("application/rtf"),
        OPTIONS,
    )
    assert to_text(document) == "中文测试"


def test_tables_option_off(tmp_path: Path) -> None:
    document = RtfParser().parse(
        source(_write(tmp_path, WORD_LIKE)), Detection("application/rtf"), {**OPTIONS, "tables": False}
    )
    assert document.tables == []
    assert "Region\tSales\nNorth\t12" in [element.text for element in document.elements]


def test_deeply_nested_groups_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, b"{\\rtf1 " + b"{" * (MAX_DEPTH + 10) + b"x" + b"}" * (MAX_DEPTH + 10) + b"}")
    with pytest.raises(LimitExceededError, match="nests groups"):
        RtfParser().parse(source(path), Detection("application/rtf"), OPTIONS)


def test_not_rtf_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CorruptFileError, match="RTF header"):
        RtfParser().parse(source(_write(tmp_path, b"plain text")), Detection("application/rtf"), OPTIONS)
