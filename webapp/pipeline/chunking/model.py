"""What chunking works on (blocks grouped into the spans a chunk may not cross) and what it returns (chunks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webapp.pipeline.document import BBox, Table, round_bbox

STRATEGIES = ("by_title", "by_tokens", "by_page", "by_element")

# One heading of a heading path: (element id, its text on one line).
Heading = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ChunkSettings:
    strategy: str = "by_title"
    max_tokens: int = 512
    overlap_tokens: int = 0
    include_headings: bool = True
    merge_small: bool = True
    min_tokens: int = 128
    # Spreadsheets and CSV: a table without declared header rows repeats its first row when split.
    first_row_header: bool = False

    @classmethod
    def from_options(cls, options: dict[str, Any], first_row_header: bool = False) -> ChunkSettings:
        keys = ("strategy", "max_tokens", "overlap_tokens", "include_headings", "merge_small", "min_tokens")
        return cls(**{key: options[key] for key in keys if key in options}, first_row_header=first_row_header)


@dataclass(slots=True)
class Block:
    """One element's text, or a piece of it, with where it came from."""

    text: str
    tokens: int
    element_id: str
    page: int | None = None
    bbox: BBox | None = None
    # "text" | "heading" | "table"
    kind: str = "text"
    # The headings the block sits under (for a heading: its parents), outermost first.
    path: tuple[Heading, ...] = ()
    table: Table | None = None
    # Headings only: 0 for a title, 1-6 for headings.
    level: int = 0


@dataclass(slots=True)
class Group:
    """Blocks no chunk may cross the end of: a section (by_title), a page (by_page), an element (by_element) or the
    whole document (by_tokens). ``path`` fixes the heading path of every chunk of the group (by_title); None means
    each chunk takes the path of its first block."""

    blocks: list[Block] = field(default_factory=list)
    path: tuple[Heading, ...] | None = None


@dataclass(slots=True)
class Chunk:
    index: int
    text: str
    token_count: int
    headings: list[str]
    element_ids: list[str]
    # (page, bbox) for every part with a box; page spans of the parts (a table may span several pages).
    boxes: list[tuple[int, BBox]]
    pages: list[int]
    type: str = "text"

    def to_dict(self, paginated: bool) -> dict[str, Any]:
        pages = [min(self.pages), max(self.pages)] if paginated and self.pages else []
        bboxes = [{"page": page, "bbox": round_bbox(bbox)} for page, bbox in self.boxes] if paginated else []
        return {
            "id": f"c{self.index + 1}",
            "index": self.index,
            "text": self.text,
            "token_count": self.token_count,
            "headings": self.headings,
            "pages": pages,
            "element_ids": self.element_ids,
            "bboxes": bboxes,
            "type": self.type,
        }
