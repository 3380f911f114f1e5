from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.pipeline.helpers import OPTIONS, parse, source
from tests.pipeline.hostile import nested_tags
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.parsers.xmldoc import MAX_XML_DEPTH, XmlParser
from webapp.pipeline.render import to_text


def _parse_xml(path: Path):
    return XmlParser().parse(source(path), Detection("application/xml", encoding="utf-8"), dict(OPTIONS))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_text_in_document_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '<?xml version="1.0"?>\n<!-- a catalogue -->\n<catalog xmlns="urn:books">\n'
        '  <book id="1"><title>Dune</title><author>Frank Herbert</author></book>\n'
        '  <book id="2"><title>Emma</title><note>A <i>classic</i> novel, <?pi x?>1815.</note></book>\n'
        "</catalog>\n",
    )
    detection, document = parse(path)
    assert detection.mime_type == "application/xml"
    assert [element.text for element in document.elements] == [
        "Dune",
        "Frank Herbert",
        "Emma",
        "A classic novel, 1815.",
    ]
    assert document.metadata == {"root_element": "catalog", "namespace": "urn:books"}


def test_many_records_are_streamed(tmp_path: Path) -> None:
    records = "".join(f"<row><id>{number}</id><name>item {number}</name></row>" for number in range(5_000))
    document = _parse_xml(_write(tmp_path, f"<rows>{records}</rows>"))
    assert len(document.elements) == 10_000
    assert document.elements[-1].text == "item 4999"


def _laughs(levels: int) -> str:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, levels)
    )
    return f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{entities}]>\n<lolz>start &lol{levels - 1}; end</lolz>\n'


def test_small_entity_bomb_is_not_expanded(tmp_path: Path) -> None:
    """GIVEN three levels of nested entities (1,000 "lol"s if expanded): libxml2 accepts it; we expand nothing."""
    document = _parse_xml(_write(tmp_path, _laughs(4)))
    assert to_text(document) == "start end"


def test_billion_laughs_fails_as_corrupt(tmp_path: Path) -> None:
    """GIVEN the classic bomb (10^10 expansions): libxml2 refuses the declarations themselves."""
    with pytest.raises(CorruptFileError, match="XML"):
        _parse_xml(_write(tmp_path, _laughs(11)))


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    path = _write(tmp_path, f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>before &x; after</r>')
    assert "SECRET" not in to_text(_parse_xml(path))


def test_malformed_xml_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CorruptFileError, match="malformed"):
        _parse_xml(_write(tmp_path, "<a><b>unclosed</a>"))


def test_nesting_up_to_the_limit_is_read(tmp_path: Path) -> None:
    assert to_text(_parse_xml(_write(tmp_path, nested_tags("a", MAX_XML_DEPTH - 1, "deep")))) == "deep"


@pytest.mark.parametrize("depth", [MAX_XML_DEPTH + 1, 200_000])
def test_deep_nesting_is_refused_fast_with_the_limit_named(tmp_path: Path, depth: int) -> None:
    path = _write(tmp_path, nested_tags("a", depth, "deep"))
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match=f"deeper than {MAX_XML_DEPTH} levels \\(limit max_xml_depth\\)"):
        _parse_xml(path)
    assert time.monotonic() - started < 5  # a generous bound
