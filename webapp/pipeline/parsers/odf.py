"""OpenDocument text, spreadsheets and presentations (ODT, ODS, ODP): content.xml read with lxml after the zip guard.

Text documents become headings, paragraphs, list items, tables and footnotes in document order. Spreadsheets get a
level-1 heading and one table per sheet (``page`` = sheet number; metadata sheet_count and sheets). Presentations
go slide by slide (``page`` = slide number, ``page_break`` between slides, metadata slide_count): the title frame
as a level-1 heading, outline frames as list items, other frames as paragraphs, speaker notes as ``footnote``.
Title, author and dates come from meta.xml. Password-protected files fail with EncryptedFileError.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError
from webapp.pipeline.parsers.archive import check_archive
from webapp.pipeline.parsers.odf_walk import (
    DRAW,
    OFFICE,
    PRESENTATION,
    TABLE,
    TEXT,
    OdfWalker,
    list_styles,
    paragraph_text,
)
from webapp.pipeline.parsers.officemeta import safe_xml_parser, w3cdtf_to_rfc3339
from webapp.pipeline.parsers.xlsx import MAX_CELLS, CellBudget

ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
_MIB = 1024 * 1024
# content.xml is parsed into a tree (about ten times its size in memory): bigger ones are refused.
MAX_CONTENT_BYTES = 100 * _MIB
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"


class OdfParser(Parser):
    name = "odf"
    mime_types = {
        ODT: 100,
        ODS: 100,
        ODP: 100,
        "application/vnd.oasis.opendocument.text-template": 90,
        "application/vnd.oasis.opendocument.spreadsheet-template": 90,
        "application/vnd.oasis.opendocument.presentation-template": 90,
        "application/vnd.oasis.opendocument.graphics": 90,
    }

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        check_archive(source.path)
        content, styles, meta = _read_parts(source.path)
        document = ParsedDocument(metadata=_metadata(meta))
        body = content.find(f"{OFFICE}body")
        if body is None:
            raise CorruptFileError("content.xml has no office:body")
        walker = OdfWalker(
            CellBudget(options.get("max_cells", MAX_CELLS)),
            list_styles(content.find(f"{OFFICE}automatic-styles"), styles),
            tables=options.get("tables", True),
        )
        for kind in body.iterchildren(tag=etree.Element):
            if kind.tag == f"{OFFICE}spreadsheet":
                _sheets(kind, walker, document)
            elif kind.tag == f"{OFFICE}presentation" or kind.tag == f"{OFFICE}drawing":
                _slides(kind, walker, document)
            else:
                walker.walk(kind)
        document.elements.extend(walker.elements)
        document.tables.extend(walker.tables)
        document.signals["tables"] = len(document.tables)
        return document


def _read_parts(path: Path) -> tuple[etree._Element, etree._Element | None, etree._Element | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            if _encrypted(archive):
                raise EncryptedFileError("the document is password-protected (encrypted OpenDocument)")
            content = _xml(archive, "content.xml")
            if content is None:
                raise CorruptFileError("the OpenDocument file has no content.xml")
            return content, _xml(archive, "styles.xml"), _xml(archive, "meta.xml")
    except etree.XMLSyntaxError as exc:
        raise CorruptFileError(f"the OpenDocument XML is malformed: {exc}") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CorruptFileError(f"the OpenDocument archive cannot be read: {exc}") from None


def _encrypted(archive: zipfile.ZipFile) -> bool:
    info = archive.NameToInfo.get("META-INF/manifest.xml")
    return info is not None and info.file_size <= 16 * _MIB and b"encryption-data" in archive.read(info)


def _xml(archive: zipfile.ZipFile, name: str) -> etree._Element | None:
    info = archive.NameToInfo.get(name)
    if info is None:
        return None
    if info.file_size > MAX_CONTENT_BYTES:
        raise LimitExceededError(f"{name} is {info.file_size // _MIB} MiB; at most {MAX_CONTENT_BYTES // _MIB} MiB")
    with archive.open(info) as stream:
        return etree.parse(stream, safe_xml_parser()).getroot()


def _sheets(spreadsheet: etree._Element, walker: OdfWalker, document: ParsedDocument) -> None:
    names = []
    for number, table in enumerate(spreadsheet.iterchildren(f"{TABLE}table"), start=1):
        name = table.get(f"{TABLE}name", f"Sheet{number}")
        names.append(name)
        walker.page = number
        walker.add("heading", name, level=1)
        walker.table(table)
    document.metadata.update(sheet_count=len(names), sheets=names)


def _slides(presentation: etree._Element, walker: OdfWalker, document: ParsedDocument) -> None:
    count = 0
    for number, page in enumerate(presentation.iterchildren(f"{DRAW}page"), start=1):
        count = number
        walker.page = number
        if number > 1:
            walker.elements.append(Element("page_break", "", page=number))
        frames = list(page.iterchildren(f"{DRAW}frame", f"{DRAW}custom-shape", f"{DRAW}g"))
        titles = [frame for frame in frames if frame.get(f"{PRESENTATION}class") == "title"]
        for frame in titles:
            walker.add("heading", " ".join(_texts(frame)), level=1)
        for frame in frames:
            if frame in titles:
                continue
            if frame.get(f"{PRESENTATION}class") == "outline":
                for paragraph, level in _outline(frame):
                    walker.add("list_item", paragraph, level=level)
            else:
                walker.walk(frame)
        for notes in page.iterchildren(f"{PRESENTATION}notes"):
            text = "\n".join(_texts(notes, skip_thumbnail=True))
            walker.add("footnote", text)
    document.metadata["slide_count"] = count


def _texts(node: etree._Element, skip_thumbnail: bool = False) -> list[str]:
    texts = []
    for paragraph in node.iter(f"{TEXT}p", f"{TEXT}h"):
        if skip_thumbnail and next(paragraph.iterancestors(f"{DRAW}page-thumbnail"), None) is not None:
            continue
        text = paragraph_text(paragraph).strip()
        if text:
            texts.append(text)
    return texts


def _outline(frame: etree._Element) -> list[tuple[str, int]]:
    items = []
    for paragraph in frame.iter(f"{TEXT}p"):
        depth = sum(1 for ancestor in paragraph.iterancestors(f"{TEXT}list"))
        text = paragraph_text(paragraph).strip()
        if text:
            items.append((text, max(depth - 1, 0)))
    return items


def _metadata(meta: etree._Element | None) -> dict[str, Any]:
    if meta is None:
        return {}
    node = meta.find(f"{OFFICE}meta")
    if node is None:
        return {}
    metadata: dict[str, Any] = {}
    title = " ".join(node.findtext(f"{_DC}title", "").split())
    author = " ".join((node.findtext(f"{_META}initial-creator") or node.findtext(f"{_DC}creator", "")).split())
    for name, value in (("title", title), ("author", author)):
        if value:
            metadata[name] = value
    for name, tag in (("created", f"{_META}creation-date"), ("modified", f"{_DC}date")):
        stamp = w3cdtf_to_rfc3339(node.findtext(tag, ""))
        if stamp:
            metadata[name] = stamp
    return metadata
