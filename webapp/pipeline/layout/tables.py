"""Find the tables on a page from its positioned words and ruling lines (text layer or OCR alike).

Three finders run in turn, each on the lines the earlier ones left:

1. ``tables_ruled``: grids of horizontal and vertical rules (cells from the grid, spanning cells where a border
   is missing);
2. ``tables_booktabs``: horizontal rules only (top, under the header, bottom), columns from word alignment;
3. ``tables_aligned``: no rules, whitespace-aligned columns of figures (financial statements).

A table is kept only if no word outside its cells has its centre inside its box, because the caller removes
every word inside the box from the page's prose. Nothing here raises: a finder that fails on odd input gives no
tables, and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from webapp.pipeline.layout.model import Line, PageInput, PageTable
from webapp.pipeline.layout.tables_aligned import find_aligned
from webapp.pipeline.layout.tables_booktabs import find_booktabs
from webapp.pipeline.layout.tables_common import Found, WordIndex
from webapp.pipeline.layout.tables_ruled import find_ruled
from webapp.pipeline.layout.tables_rules import Segment, Tolerances, page_segments

logger = logging.getLogger(__name__)
T = TypeVar("T")


def find_tables(page: PageInput, lines: list[Line]) -> list[PageTable]:
    """The page's tables, top to bottom; ``lines`` are ``layout.lines.page_lines(page.words)``."""
    if not lines:
        return []
    tol = Tolerances.for_page(page)
    horizontal, vertical = _guarded(lambda: page_segments(page, tol), ([], []))
    index = WordIndex(page.words)
    found: list[Found] = []
    boxed: set[int] = set()
    if horizontal and vertical:
        ruled, boxed = _guarded(
            lambda: find_ruled(index, lines, horizontal, vertical, tol, (page.width, page.height)), ([], set())
        )
        found.extend(_honest(ruled, index, found))
    free: list[Segment] = [h for i, h in enumerate(horizontal) if i not in boxed]
    rest = _outside(lines, found)
    if len(free) >= 2:
        size = _median_size(rest)
        found.extend(_honest(_guarded(lambda: find_booktabs(rest, free, size, page.height), []), index, found))
        rest = _outside(rest, found)
    found.extend(_honest(_guarded(lambda: find_aligned(rest, free, page.source == "ocr"), []), index, found))
    tables = [item.table for item in found]
    tables.sort(key=lambda table: (table.bbox[1], table.bbox[0]))
    return tables


def _guarded(run: Callable[[], T], fallback: T) -> T:
    try:
        return run()
    # A table finder never fails the page (logged, so it is not silent): odd input means fewer tables.
    except Exception:
        logger.warning("table finder failed; the page keeps its text as prose", exc_info=True)
        return fallback


def _honest(candidates: list[Found], index: WordIndex, kept: list[Found]) -> list[Found]:
    """Candidates whose box holds no word they did not take, and that do not overlap a table already kept."""
    result = []
    for item in candidates:
        taken = {id(word) for word in item.words}
        if any(id(word) not in taken for word in index.inside(item.table.bbox)):
            continue
        if any(_overlap(item.table.bbox, other.table.bbox) for other in [*kept, *result]):
            continue
        result.append(item)
    return result


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1.0 and min(a[3], b[3]) - max(a[1], b[1]) > 1.0


def _outside(lines: list[Line], found: list[Found]) -> list[Line]:
    if not found:
        return lines
    boxes = [item.table.bbox for item in found]

    def inside(line: Line) -> bool:
        x, y = (line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2
        return any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in boxes)

    return [line for line in lines if not inside(line)]


def _median_size(lines: list[Line]) -> float:
    sizes = sorted(line.size for line in lines)
    return max(sizes[len(sizes) // 2], 1.0) if sizes else 10.0
