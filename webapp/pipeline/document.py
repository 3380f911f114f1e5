"""What a parser produces: a flat list of typed elements in reading order, plus tables and metadata."""

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
    "footnote",
    "formula",
)


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

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "text": self.text, "page": self.page}
        if self.level is not None:
            data["level"] = self.level
        if self.type == "list_item":
            data["ordered"] = self.ordered
        return data


@dataclass(slots=True)
class Table:
    rows: list[list[str]]
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "rows": self.rows}


@dataclass(slots=True)
class ParsedDocument:
    elements: list[Element] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    # title, author, created, modified, page_count, sheet_count, slide_count, encoding, email headers ...
    metadata: dict[str, Any] = field(default_factory=dict)
    # Facts the quality score is built from, e.g. {"pages": 12, "empty_pages": 1, "encoding_repairs": 0}.
    signals: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


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
