"""What a parser produces: typed elements in reading order, tables, pages and metadata: one model for every format.

Coordinates: paginated sources (PDF, scans, images) give every element a ``bbox`` of ``(x0, y0, x1, y1)`` in PDF
points with the origin at the top-left of its page; image pixels are converted to points at the render dpi.
Element ids are given once, by ``assign_ids`` in the output stage, so they are stable for one document and one
pipeline version and unique within a result.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Element types clients may see. Parsers use these names only.
ELEMENT_TYPES = (
    "title",
    "heading",
    "paragraph",
    "list_item",
    "table",
    "image",
    "page_break",
    "code",
    "quote",
    "caption",
    "header",
    "footer",
    "page_header",
    "page_footer",
    "footnote",
    "formula",
)
# Page furniture: kept in ``elements``, left out of text and Markdown unless ``parse.furniture`` is "keep".
FURNITURE_TYPES = frozenset({"page_header", "page_footer"})

BBox = tuple[float, float, float, float]


def round_bbox(bbox: BBox) -> list[float]:
    return [round(value, 2) for value in bbox]


@dataclass(slots=True)
class Element:
    type: str
    text: str
    page: int | None = None
    # heading level (1-6) or list nesting depth (0-based); None where it means nothing.
    level: int | None = None
    # For type "table": index into ParsedDocument.tables.
    table_index: int | None = None
    # list_item only: True for "1." style lists.
    ordered: bool = False
    # Paginated sources: (x0, y0, x1, y1) in points, origin top-left of ``page``.
    bbox: BBox | None = None
    # Given by assign_ids; "" until then.
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "text": self.text, "page": self.page}
        if self.bbox is not None:
            data["bbox"] = round_bbox(self.bbox)
        if self.level is not None:
            data["level"] = self.level
        if self.type == "list_item":
            data["ordered"] = self.ordered
        return data


@dataclass(slots=True)
class Table:
    rows: list[list[str]]
    page: int | None = None
    # How many of the first rows are header rows (repeated on continuation pages, bold, above a rule ...).
    header_rows: int = 0
    bbox: BBox | None = None
    # Every page the table spans, first to last; None means just ``page`` (or an unpaginated source).
    pages: list[int] | None = None
    # The id of the table's element, given by assign_ids.
    id: str = ""

    def page_list(self) -> list[int]:
        if self.pages:
            return list(self.pages)
        return [self.page] if self.page is not None else []

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "page": self.page,
            "pages": self.page_list(),
            "header_rows": self.header_rows,
            "rows": self.rows,
        }
        if self.bbox is not None:
            data["bbox"] = round_bbox(self.bbox)
        return data


@dataclass(slots=True)
class Page:
    """One page of a paginated source, in points; ``source`` says whether its text came from the text layer."""

    number: int
    width: float
    height: float
    rotation: int = 0
    source: str = "text"  # "text" | "ocr"

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "width": round(self.width, 2),
            "height": round(self.height, 2),
            "rotation": self.rotation,
            "source": self.source,
        }


@dataclass(slots=True)
class ParsedDocument:
    elements: list[Element] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    # Paginated sources only: one entry per page parsed, in order.
    pages: list[Page] = field(default_factory=list)
    # title, author, created, modified, page_count, sheet_count, slide_count, encoding, email headers ...
    metadata: dict[str, Any] = field(default_factory=dict)
    # Facts the quality score is built from, e.g. {"pages": 12, "empty_pages": 1, "encoding_repairs": 0}.
    signals: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def assign_ids(document: ParsedDocument) -> None:
    """Number the elements in order (``e1``, ``e2`` ...) and give each table its element's id.

    A table no element points at (a parser that only filled ``tables``) gets an element of its own at the end, so
    every table is an element too.
    """
    pointed = {element.table_index for element in document.elements if element.type == "table"}
    for index, table in enumerate(document.tables):
        if index not in pointed:
            document.elements.append(Element("table", "", page=table.page, table_index=index, bbox=table.bbox))
    for number, element in enumerate(document.elements, start=1):
        element.id = f"e{number}"
        index = element.table_index
        if element.type == "table" and index is not None and 0 <= index < len(document.tables):
            document.tables[index].id = element.id


def element_dict(element: Element, tables: list[Table]) -> dict[str, Any]:
    """An element as the result shows it; a table element carries its table's rows, header rows and pages."""
    data = element.to_dict()
    if element.type == "table" and element.table_index is not None and 0 <= element.table_index < len(tables):
        table = tables[element.table_index]
        data["rows"] = table.rows
        data["header_rows"] = table.header_rows
        data["pages"] = table.page_list()
        data["table_index"] = element.table_index
        if table.bbox is not None and "bbox" not in data:
            data["bbox"] = round_bbox(table.bbox)
    return data


@dataclass(slots=True, frozen=True)
class Source:
    """The input file as the engine sees it: always a path on disk, never bytes held in memory."""

    path: Path
    filename: str
    size_bytes: int
    sha256: str | None = None


@dataclass(slots=True)
class Detection:
    mime_type: str
    # Text formats: the encoding the bytes are in, as a Python codec name.
    encoding: str | None = None
    # How it was decided, for error messages and logs ("zip container: word/document.xml").
    reason: str = ""


def as_dicts(items: list[Any]) -> list[dict[str, Any]]:
    return [item.to_dict() if hasattr(item, "to_dict") else asdict(item) for item in items]
