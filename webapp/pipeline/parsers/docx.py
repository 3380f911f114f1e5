"""DOCX with python-docx: the body in document order, paragraphs and tables interleaved, plus text boxes."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source, Table
from webapp.pipeline.errors import CorruptFileError
from webapp.pipeline.parsers.archive import check_archive
from webapp.pipeline.parsers.docx_styles import DocxStyles, W
from webapp.pipeline.render import table_text

MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
MATH = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
# Text-bearing nodes; None means "the node's own text" (runs, and the runs of Office Math equations).
_TEXT_TAGS = {f"{W}t": None, f"{MATH}t": None, f"{W}tab": "\t", f"{W}br": "\n", f"{W}cr": "\n"}
_TEXT_TAGS[f"{W}noBreakHyphen"] = "-"
# Not part of the paragraph's own text: text boxes come out as their own elements, and mc:Fallback repeats the
# mc:Choice content for old readers.
_SKIP = {f"{W}txbxContent", f"{MC}Fallback", f"{W}delText", f"{W}instrText"}
# python-docx assumes a well-formed package; on a malformed one it fails with whatever the first bad access raises.
_OPEN_ERRORS = (
    PackageNotFoundError,
    KeyError,
    ValueError,
    AttributeError,
    TypeError,
    IndexError,
    zipfile.BadZipFile,
    etree.XMLSyntaxError,
)
_CONTAINERS = {f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins", f"{W}smartTag"}


class DocxParser(Parser):
    name = "docx"
    mime_types = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        check_archive(source.path)
        try:
            package = docx.Document(str(source.path))
        except _OPEN_ERRORS as exc:
            raise CorruptFileError(f"the DOCX file cannot be opened: {exc}") from None
        styles = DocxStyles(package.styles.element, _numbering_element(package))
        walker = _BodyWalker(styles, tables=options.get("tables", True))
        walker.walk(package.element.body)
        document = ParsedDocument(elements=walker.elements, tables=walker.tables, metadata=_metadata(package))
        document.signals["paragraphs"] = sum(1 for element in walker.elements if element.type != "table")
        document.signals["tables"] = len(walker.tables)
        return document


def _numbering_element(package: Any) -> etree._Element | None:
    # python-docx creates an empty numbering part when the file has none; that is harmless here.
    try:
        return package.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return None


class _BodyWalker:
    def __init__(self, styles: DocxStyles, tables: bool = True) -> None:
        self.styles = styles
        self.extract_tables = tables
        self.elements: list[Element] = []
        self.tables: list[Table] = []

    def walk(self, container: etree._Element) -> None:
        for child in container.iterchildren():
            tag = child.tag
            if tag == f"{W}p":
                self._paragraph(child)
            elif tag == f"{W}tbl":
                self._table(child)
            elif tag in _CONTAINERS:
                self.walk(child)

    def _paragraph(self, paragraph: etree._Element) -> None:
        text = paragraph_text(paragraph).strip()
        if text:
            kind = self.styles.kind(paragraph)
            level = kind.level if kind.type in ("heading", "list_item") else None
            self.elements.append(Element(kind.type, text, level=level, ordered=kind.ordered))
        for textbox in _own_textboxes(paragraph):
            self.walk(textbox)

    def _table(self, table: etree._Element) -> None:
        if not self.extract_tables:
            for row in _rows(table):  # the cells' content as plain paragraphs
                for cell in row.iterchildren(f"{W}tc"):
                    self.walk(cell)
            return
        kept = [(tr, cells) for tr, cells in ((tr, self._row_cells(tr)) for tr in _rows(table)) if any(cells)]
        if not kept:
            return
        parsed = Table([cells for _, cells in kept], header_rows=_header_rows([tr for tr, _ in kept]))
        self.tables.append(parsed)
        self.elements.append(Element("table", table_text(parsed), table_index=len(self.tables) - 1))

    def _row_cells(self, row: etree._Element) -> list[str]:
        cells: list[str] = []
        for cell in row.iter(f"{W}tc"):
            if next(cell.iterancestors(f"{W}tr")) is not row:
                continue  # a cell of a nested table
            cells.append(self._cell_text(cell))
            span = _grid_span(cell)
            cells.extend([""] * (span - 1))  # merged columns keep the grid aligned
        return cells

    def _cell_text(self, cell: etree._Element) -> str:
        # A walker of its own: nested tables and text boxes in the cell come out once, as text.
        inner = _BodyWalker(self.styles)
        inner.walk(cell)
        return "\n".join(element.text for element in inner.elements)


def paragraph_text(paragraph: etree._Element) -> str:
    parts: list[str] = []
    _collect(paragraph, parts)
    return "".join(parts)


def _collect(node: etree._Element, parts: list[str]) -> None:
    for child in node.iterchildren():
        tag = child.tag
        if tag in _SKIP:
            continue
        if tag in _TEXT_TAGS:
            fixed = _TEXT_TAGS[tag]
            parts.append((child.text or "") if fixed is None else fixed)
        elif len(child):
            _collect(child, parts)


def _own_textboxes(paragraph: etree._Element) -> list[etree._Element]:
    """Text boxes anchored in this paragraph (not in a nested one, not the mc:Fallback duplicates)."""
    boxes = []
    for box in paragraph.iter(f"{W}txbxContent"):
        owner = next(box.iterancestors(f"{W}p", f"{MC}Fallback"), None)
        if owner is paragraph:
            boxes.append(box)
    return boxes


def _header_rows(rows: list[etree._Element]) -> int:
    """Leading rows marked "repeat as header row at the top of each page" (w:tblHeader): Word's own header flag."""
    count = 0
    for row in rows:
        flag = row.find(f"{W}trPr/{W}tblHeader")
        if flag is None or flag.get(f"{W}val", "1") in ("0", "false", "off"):
            break
        count += 1
    return count


def _rows(table: etree._Element) -> list[etree._Element]:
    rows = []
    for child in table.iterchildren():
        if child.tag == f"{W}tr":
            rows.append(child)
        elif child.tag in _CONTAINERS:  # rows wrapped in content controls
            rows.extend(child.iter(f"{W}tr"))
    return rows


def _grid_span(cell: etree._Element) -> int:
    span = cell.find(f"{W}tcPr/{W}gridSpan")
    try:
        return max(1, min(int(span.get(f"{W}val", "1")), 1000)) if span is not None else 1
    except ValueError:
        return 1


def _metadata(package: Any) -> dict[str, Any]:
    properties = package.core_properties
    metadata: dict[str, Any] = {}
    for name, value in (("title", properties.title), ("author", properties.author), ("subject", properties.subject)):
        if value and value.strip():
            metadata[name] = value.strip()
    for name, value in (("created", properties.created), ("modified", properties.modified)):
        if isinstance(value, datetime):
            metadata[name] = _rfc3339(value)
    return metadata


def _rfc3339(value: datetime) -> str:
    # Core properties are W3CDTF and python-docx returns them naive when no zone was written: that is UTC.
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
