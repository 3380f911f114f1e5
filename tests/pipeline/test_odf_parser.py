"""OpenDocument files are written by hand here (a zip with a stored mimetype member, XML parts): the corpus has none."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.pipeline.helpers import OPTIONS, parse, source
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError
from webapp.pipeline.parsers.odf import ODP, ODS, ODT, OdfParser
from webapp.pipeline.render import to_markdown

NAMESPACES = " ".join(
    f'xmlns:{prefix}="{uri}"'
    for prefix, uri in {
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
        "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
        "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
        "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
        "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
        "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
        "dc": "http://purl.org/dc/elements/1.1/",
    }.items()
)
MANIFEST = (
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">{}</manifest:manifest>'
)


def write_odf(path: Path, mime: str, body: str, styles: str = "", meta: str = "", manifest: str = "") -> Path:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NAMESPACES}>'
        f"<office:automatic-styles>{styles}</office:automatic-styles><office:body>{body}</office:body>"
        "</office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", mime, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr(
            "meta.xml", f"<office:document-meta {NAMESPACES}><office:meta>{meta}</office:meta></office:document-meta>"
        )
        archive.writestr("META-INF/manifest.xml", MANIFEST.format(manifest))
    return path


def _parse_odf(path: Path, mime: str, **options):
    return OdfParser().parse(source(path), Detection(mime), {**OPTIONS, **options})


TEXT_BODY = (
    '<office:text><text:h text:outline-level="1">Quarterly report</text:h>'
    '<text:h text:outline-level="2">Summary</text:h>'
    '<text:p>Revenue <text:span>grew</text:span>.<text:s text:c="2"/>Really'
    "<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>Audited.</text:p></text:note-body>"
    "</text:note><office:annotation><text:p>a reviewer's remark</text:p></office:annotation></text:p>"
    '<text:list text:style-name="L1"><text:list-item><text:p>Step one</text:p><text:list><text:list-item>'
    "<text:p>Sub step</text:p></text:list-item></text:list></text:list-item></text:list>"
    "<table:table><table:table-row><table:table-cell><text:p>Region</text:p></table:table-cell>"
    "<table:table-cell><text:p>Sales</text:p></table:table-cell>"
    '<table:table-cell table:number-columns-repeated="1000"/>'
    "</table:table-row><table:table-row><table:table-cell><text:p>North</text:p></table:table-cell>"
    "<table:table-cell><text:p>12</text:p></table:table-cell></table:table-row></table:table>"
    "<text:section><text:p>After the table.</text:p></text:section></office:text>"
)
LIST_STYLE = (
    '<text:list-style style:name="L1"><text:list-level-style-number text:level="1"/>'
    '<text:list-level-style-bullet text:level="2"/></text:list-style>'
)
META = (
    "<dc:title>Report</dc:title><meta:initial-creator>Ada Lovelace</meta:initial-creator>"
    "<meta:creation-date>2024-01-02T03:04:05.123456789</meta:creation-date><dc:date>2024-02-03T04:05:06Z</dc:date>"
)


def test_text_document_structure(tmp_path: Path) -> None:
    path = write_odf(tmp_path / "report.odt", ODT, TEXT_BODY, styles=LIST_STYLE, meta=META)
    detection, document = parse(path)
    assert detection.mime_type == ODT
    shapes = [(element.type, element.text, element.level, element.ordered) for element in document.elements]
    assert shapes == [
        ("heading", "Quarterly report", 1, False),
        ("heading", "Summary", 2, False),
        ("paragraph", "Revenue grew.  Really", None, False),
        ("footnote", "Audited.", None, False),
        ("list_item", "Step one", 0, True),
        ("list_item", "Sub step", 1, False),
        ("table", "Region\tSales\nNorth\t12", None, False),
        ("paragraph", "After the table.", None, False),
    ]
    assert document.tables[0].rows == [["Region", "Sales"], ["North", "12"]]
    assert document.metadata == {
        "title": "Report",
        "author": "Ada Lovelace",
        "created": "2024-01-02T03:04:05Z",
        "modified": "2024-02-03T04:05:06Z",
    }
    assert "1. Step one\n   - Sub step" in to_markdown(document)


SHEETS_BODY = (
    '<office:spreadsheet><table:table table:name="Budget">'
    "<table:table-row><table:table-cell/><table:table-cell><text:p>Item</text:p></table:table-cell>"
    "<table:table-cell><text:p>Cost</text:p></table:table-cell></table:table-row>"
    "<table:table-row><table:table-cell/><table:table-cell><text:p>Tea</text:p></table:table-cell>"
    '<table:table-cell office:value-type="float" office:value="3.5"><text:p>3.50</text:p></table:table-cell>'
    '<table:table-cell table:number-columns-repeated="16380"/></table:table-row>'
    '<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="16384"/>'
    '</table:table-row></table:table><table:table table:name="Notes"><table:table-row><table:table-cell>'
    "<text:p>Checked</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
)


def test_spreadsheet_sheets_with_repeated_empty_cells_cost_nothing(tmp_path: Path) -> None:
    """GIVEN a sheet padded to the grid's edge with repeated empty rows and cells, as LibreOffice writes them."""
    path = write_odf(tmp_path / "budget.ods", ODS, SHEETS_BODY)
    detection, document = parse(path)  # 17 billion cells if expanded
    assert detection.mime_type == ODS
    assert document.metadata["sheet_count"] == 2
    assert document.metadata["sheets"] == ["Budget", "Notes"]
    assert document.tables[0].rows == [["Item", "Cost"], ["Tea", "3.50"]]
    assert (document.tables[0].page, document.tables[1].page) == (1, 2)
    assert [element.text for element in document.elements if element.type == "heading"] == ["Budget", "Notes"]


def test_repeated_cells_with_content_count_towards_the_cell_limit(tmp_path: Path) -> None:
    body = (
        '<office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="1000"><text:p>x</text:p></table:table-cell>'
        "</table:table-row></table:table></office:spreadsheet>"
    )
    path = write_odf(tmp_path / "huge.ods", ODS, body)
    with pytest.raises(LimitExceededError, match="max_cells"):
        _parse_odf(path, ODS)


PRESENTATION_BODY = (
    '<office:presentation><draw:page draw:name="p1"><draw:frame presentation:class="title"><draw:text-box>'
    '<text:p>Welcome</text:p></draw:text-box></draw:frame><draw:frame presentation:class="outline"><draw:text-box>'
    "<text:list><text:list-item><text:p>Point A</text:p><text:list><text:list-item><text:p>Point A.1</text:p>"
    "</text:list-item></text:list></text:list-item></text:list></draw:text-box></draw:frame>"
    "<presentation:notes><draw:page-thumbnail/><draw:frame><draw:text-box><text:p>Say hello</text:p>"
    '</draw:text-box></draw:frame></presentation:notes></draw:page><draw:page draw:name="p2">'
    '<draw:frame presentation:class="title"><draw:text-box><text:p>Second</text:p></draw:text-box></draw:frame>'
    "<draw:frame><draw:text-box><text:p>Free text</text:p></draw:text-box></draw:frame>"
    "<draw:frame><table:table><table:table-row><table:table-cell><text:p>a</text:p></table:table-cell>"
    "<table:table-cell><text:p>b</text:p></table:table-cell></table:table-row></table:table></draw:frame>"
    "</draw:page></office:presentation>"
)


def test_presentation_slides(tmp_path: Path) -> None:
    path = write_odf(tmp_path / "deck.odp", ODP, PRESENTATION_BODY)
    detection, document = parse(path)
    assert detection.mime_type == ODP
    assert document.metadata["slide_count"] == 2
    shapes = [(element.type, element.text, element.page, element.level) for element in document.elements]
    assert shapes == [
        ("heading", "Welcome", 1, 1),
        ("list_item", "Point A", 1, 0),
        ("list_item", "Point A.1", 1, 1),
        ("footnote", "Say hello", 1, None),
        ("page_break", "", 2, None),
        ("heading", "Second", 2, 1),
        ("paragraph", "Free text", 2, None),
        ("table", "a\tb", 2, None),
    ]


def test_password_protected_document_is_refused(tmp_path: Path) -> None:
    manifest = (
        '<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data '
        'manifest:checksum-type="SHA1/1K"/></manifest:file-entry>'
    )
    path = write_odf(tmp_path / "secret.odt", ODT, TEXT_BODY, manifest=manifest)
    with pytest.raises(EncryptedFileError, match="password-protected"):
        _parse_odf(path, ODT)


def test_entity_bomb_is_rejected(tmp_path: Path) -> None:
    path = write_odf(tmp_path / "bomb.odt", ODT, TEXT_BODY)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    declaration = b'<!DOCTYPE office:document-content [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    parts["content.xml"] = parts["content.xml"].replace(b"?>", b"?>" + declaration, 1)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(CorruptFileError, match="DOCTYPE or ENTITY"):
        _parse_odf(path, ODT)


def test_zip_bomb_is_rejected(tmp_path: Path) -> None:
    path = write_odf(tmp_path / "zipbomb.odt", ODT, TEXT_BODY)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Pictures/padding.bin", bytes(20 * 1024 * 1024))
    with pytest.raises(LimitExceededError, match="archive expands too much"):
        _parse_odf(path, ODT)


def test_malformed_content_and_missing_parts_are_corrupt(tmp_path: Path) -> None:
    broken = write_odf(tmp_path / "broken.odt", ODT, "<office:text><text:p>unclosed</office:text>")
    with pytest.raises(CorruptFileError, match="malformed"):
        _parse_odf(broken, ODT)
    empty = tmp_path / "empty.odt"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("mimetype", ODT, compress_type=zipfile.ZIP_STORED)
    with pytest.raises(CorruptFileError, match="no content.xml"):
        _parse_odf(empty, ODT)


def test_mimetype_member_that_is_compressed_and_not_first_is_still_detected(tmp_path: Path) -> None:
    path = tmp_path / "sloppy.odt"
    content = write_odf(tmp_path / "proper.odt", ODT, TEXT_BODY)
    with zipfile.ZipFile(content) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("content.xml", "meta.xml", "META-INF/manifest.xml", "mimetype"):
            archive.writestr(name, parts[name])
    detection, document = parse(path)
    assert detection.mime_type == ODT
    assert document.elements[0].text == "Quarterly report"
