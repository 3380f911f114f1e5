"""A result by page, for the result viewer: each page's text, its size in points and the boxes of its elements,
which the job page draws over the page image (an SVG whose viewBox is the page: no inline style needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webapp.pipeline.document import ParsedDocument
from webapp.pipeline.render import document_from_dicts, to_text


@dataclass(slots=True, frozen=True)
class Box:
    """One element's box on its page, in points from the page's top-left corner."""

    id: str
    type: str
    level: int | None
    x: float
    y: float
    width: float
    height: float

    @property
    def kind(self) -> str:
        """The overlay's colour class: tables stand out from text."""
        return "table" if self.type == "table" else "text"

    @property
    def label(self) -> str:
        """The tooltip: ``heading (level 2) · e7``."""
        level = f" (level {self.level})" if self.type == "heading" and self.level is not None else ""
        return f"{self.type.replace('_', ' ')}{level} · {self.id}"


@dataclass(slots=True)
class PageView:
    number: int
    text: str
    # From the result's ``pages`` (layout analysis); None when the result has no entry for the page.
    width: float | None = None
    height: float | None = None
    boxes: list[Box] = field(default_factory=list)

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


def page_views(result: dict[str, Any], keep_furniture: bool = False) -> list[PageView]:
    """Every page of the result, 1 to ``page_count``: its elements' text in reading order (rendered as the
    result's text is, furniture left out unless kept), its size, and the boxes of its elements."""
    elements = result.get("elements") or []
    document = document_from_dicts(elements, result.get("tables") or [])
    on_page: dict[int, ParsedDocument] = {}
    boxes: dict[int, list[Box]] = {}
    for data, element in zip(elements, document.elements, strict=True):
        number = data.get("page")
        if not isinstance(number, int):
            continue
        on_page.setdefault(number, ParsedDocument(tables=document.tables)).elements.append(element)
        box = _box(data)
        if box is not None:
            boxes.setdefault(number, []).append(box)
    sizes = {page["number"]: page for page in result.get("pages") or [] if isinstance(page.get("number"), int)}
    count = int((result.get("metadata") or {}).get("page_count") or max([*on_page, *sizes, 0]))
    views = []
    for number in range(1, count + 1):
        part = on_page.get(number)
        view = PageView(number, to_text(part, keep_furniture) if part is not None else "")
        size = sizes.get(number)
        if size and size.get("width") and size.get("height"):
            view.width, view.height = float(size["width"]), float(size["height"])
            view.boxes = boxes.get(number, [])
        views.append(view)
    return views


def _box(element: dict[str, Any]) -> Box | None:
    bbox = element.get("bbox")
    if not isinstance(bbox, list | tuple) or len(bbox) != 4:
        return None
    x0, y0, x1, y1 = (float(value) for value in bbox)
    if x1 <= x0 or y1 <= y0:
        return None
    return Box(
        str(element.get("id") or ""), str(element.get("type") or ""), element.get("level"), x0, y0, x1 - x0, y1 - y0
    )


@dataclass(slots=True)
class ChunkFigure:
    """One page a chunk has boxes on: the page's size in points and the chunk's boxes, drawn over its image."""

    number: int
    width: float
    height: float
    boxes: list[Box]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


@dataclass(slots=True)
class ChunkView:
    """A chunk for the Chunks tab: the chunk as the API gives it, and the pages that show its boxes."""

    chunk: dict[str, Any]
    figures: list[ChunkFigure] = field(default_factory=list)

    @property
    def pages_label(self) -> str:
        """``page 3``, ``pages 3–5``, or "" for unpaginated sources."""
        pages = self.chunk.get("pages") or []
        if not pages:
            return ""
        return f"page {pages[0]}" if pages[0] == pages[-1] else f"pages {pages[0]}–{pages[-1]}"


def chunk_views(result: dict[str, Any], limit: int, with_figures: bool) -> list[ChunkView]:
    """The first ``limit`` chunks of the result; ``with_figures``: each page with the chunk's boxes on it (the page
    images exist, and the result knows the page's size)."""
    sizes = {page["number"]: page for page in result.get("pages") or [] if isinstance(page.get("number"), int)}
    views = []
    for chunk in (result.get("chunks") or [])[:limit]:
        view = ChunkView(chunk)
        if with_figures:
            view.figures = _chunk_figures(chunk, sizes)
        views.append(view)
    return views


def _chunk_figures(chunk: dict[str, Any], sizes: dict[int, dict[str, Any]]) -> list[ChunkFigure]:
    figures: dict[int, ChunkFigure] = {}
    for number, item in enumerate(chunk.get("bboxes") or [], start=1):
        page = sizes.get(item.get("page"))
        box = _box({"id": f"{chunk.get('id')} box {number}", "type": chunk.get("type"), "bbox": item.get("bbox")})
        if box is None or not page or not page.get("width") or not page.get("height"):
            continue
        figure = figures.get(item["page"])
        if figure is None:
            figure = figures[item["page"]] = ChunkFigure(item["page"], float(page["width"]), float(page["height"]), [])
        figure.boxes.append(box)
    return [figures[number] for number in sorted(figures)]
