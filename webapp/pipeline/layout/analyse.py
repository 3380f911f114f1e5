"""Layout analysis of a whole document, one page at a time: tables, reading order and blocks per page, then page
furniture, headings and tables continued across pages over the document.

Pages are added one by one and reduced at once to ``Item``s (text, box, style), so a 1,000-page PDF never holds
more than one page's words.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from webapp.pipeline.document import FURNITURE_TYPES, Element, Page, Table
from webapp.pipeline.layout.blocks import Block, build_blocks, line_font, monospaced
from webapp.pipeline.layout.continued import join_continued_tables
from webapp.pipeline.layout.furniture import PAGE_NUMBER, ZONE_SHARE, mark_furniture, rejoin_zone_items
from webapp.pipeline.layout.headings import MAX_HEADING_LINES, mark_headings
from webapp.pipeline.layout.lines import page_lines
from webapp.pipeline.layout.model import Item, Line, PageInput, PageTable
from webapp.pipeline.layout.order import reading_order
from webapp.pipeline.layout.tables import find_tables
from webapp.pipeline.pagerange import page_list
from webapp.pipeline.render import table_text

log = logging.getLogger(__name__)

# Bands at each end of a page that may hold running headers and footers.
ZONE_BANDS = 2


@dataclass(slots=True)
class Analysis:
    elements: list[Element] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class DocumentLayout:
    """Feed pages with ``add_page`` (in any order: OCR pages arrive late); ``finish`` gives elements and tables.

    ``add_plain_page`` takes a page whose layout could not be analysed (it failed or ran out of time): its blocks
    keep their text and page, without boxes, and take no part in the document-wide passes.
    """

    def __init__(self, *, tables: bool = True) -> None:
        self.find_tables = tables
        self.items: dict[int, list[Item]] = {}
        self.plain: dict[int, list[Element]] = {}
        self.pages: dict[int, Page] = {}
        self.table_failures: list[int] = []

    def add_page(self, page: PageInput) -> None:
        self.pages[page.number] = Page(page.number, page.width, page.height, page.rotation, page.source)
        self.plain.pop(page.number, None)
        self.items[page.number] = analyse_page(page, self.find_tables, self.table_failures)

    def add_plain_page(self, page: Page, elements: list[Element]) -> None:
        self.pages[page.number] = page
        self.items.pop(page.number, None)
        self.plain[page.number] = elements

    def finish(self) -> Analysis:
        numbers = sorted(self.pages)
        analysis = Analysis(pages=[self.pages[number] for number in numbers])
        if self.table_failures:
            pages = page_list(sorted(self.table_failures))
            analysis.warnings.append(f"table detection failed on {len(self.table_failures)} pages ({pages})")
        items = [item for number in numbers for item in self.items.get(number, [])]
        if items:
            mark_furniture(items, len(self.items))
            items = rejoin_zone_items(items)
            mark_headings(items, self.pages[numbers[0]].height)
            items = join_continued_tables(items)
        analysis.elements, analysis.tables = to_elements(items, self.plain)
        return analysis


def analyse_pages(pages: Iterable[PageInput], options: dict[str, object] | None = None) -> Analysis:
    """The whole analysis for pages already in hand (images, OCR pages); PDFs feed ``DocumentLayout`` directly."""
    layout = DocumentLayout(tables=bool((options or {}).get("tables", True)))
    for page in pages:
        layout.add_page(page)
    return layout.finish()


def analyse_page(page: PageInput, tables: bool, failures: list[int]) -> list[Item]:
    """One page's items in reading order: blocks of prose and the tables between them."""
    lines = page_lines(page.words)
    if not lines:
        return []
    found: list[PageTable] = []
    if tables:
        try:
            found = find_tables(page, _without_page_numbers(lines, page.height))
        except Exception:  # a table finder bug must never cost the page its text
            log.exception("table detection failed on page %d", page.number)
            failures.append(page.number)
    prose = [line for line in lines if not _inside_any(line, found)] if found else lines
    zones = _zones(prose, page.height)
    size = _median_size(prose) if prose else 10.0
    order = _page_order(prose, found, page.height, size)
    exact = page.source == "text"
    items: list[Item] = []
    run: list[Line] = []
    run_zones: dict[int, str] = {}
    for index in order:
        if index < len(prose):
            if index in zones:
                run_zones[len(run)] = zones[index]
            run.append(prose[index])
            continue
        items.extend(_blocks_to_items(build_blocks(run, page.number, run_zones, exact)))
        run, run_zones = [], {}
        table = found[index - len(prose)]
        items.append(Item("table", "", page.number, table.bbox, table=table))
    items.extend(_blocks_to_items(build_blocks(run, page.number, run_zones, exact)))
    return items


def _page_order(prose: list[Line], found: list[PageTable], height: float, size: float) -> list[int]:
    """Indexes of ``prose`` and then of ``found`` (after the prose) in reading order. A header or footer line set
    apart at the top or bottom edge reads first or last and takes no part in the cut into columns: a page number
    centred under a two-column page stands in the gutter, and would hide it."""
    margins = _margin_lines(prose, height)
    # Text set sideways (an arXiv stamp up the margin) stands in no column: it would hide the gutters.
    sideways = _sideways(prose, margins)
    inner = [index for index in range(len(prose)) if index not in margins and index not in sideways]
    boxes = [(prose[i].x0, prose[i].y0, prose[i].x1, prose[i].y1) for i in inner] + [t.bbox for t in found]
    order = reading_order(boxes, min_gutter=max(size, 6.0))
    mapped = [inner[k] if k < len(inner) else len(prose) + k - len(inner) for k in order]
    top = sorted((i for i in margins if prose[i].y0 < height / 2), key=lambda i: prose[i].x0)
    bottom = sorted((i for i in margins if prose[i].y0 >= height / 2), key=lambda i: prose[i].x0)
    return top + mapped + sorted(sideways, key=lambda i: (prose[i].x0, prose[i].y0)) + bottom


def _sideways(lines: list[Line], margins: set[int]) -> list[int]:
    """Lines set sideways (taller than wide, more than a character), and their short words stacked in the same
    strip ("30" of "arXiv:2004.04906v3 [cs.CL] 30 Sep 2020" up the margin is as tall as wide)."""
    rotated = [
        i
        for i, line in enumerate(lines)
        if line.y1 - line.y0 > line.x1 - line.x0 + 2.0 and i not in margins and len(line.text) > 1
    ]
    if not rotated:
        return []
    strips = {(round(lines[i].x0), round(lines[i].x1)) for i in rotated}
    return [
        i
        for i, line in enumerate(lines)
        if i not in margins and any(abs(line.x0 - x0) <= 1 and abs(line.x1 - x1) <= 1 for x0, x1 in strips)
    ]


def _margin_lines(lines: list[Line], height: float) -> set[int]:
    """The lines of the page's first and last band, in the margin zones, at least a line's height from the rest."""
    if len(lines) < 3:
        return set()
    margins: set[int] = set()
    first = min(line.y1 for line in lines)
    last = max(line.y0 for line in lines)
    top = [i for i, line in enumerate(lines) if line.y0 <= first]
    bottom = [i for i, line in enumerate(lines) if line.y1 >= last]
    for band, inside in ((top, first <= ZONE_SHARE * height), (bottom, last >= (1 - ZONE_SHARE) * height)):
        if not inside or len(band) == len(lines):
            continue
        y0, y1 = min(lines[i].y0 for i in band), max(lines[i].y1 for i in band)
        rest = [line for i, line in enumerate(lines) if i not in band]
        gap = min(line.y0 for line in rest) - y1 if band is top else y0 - max(line.y1 for line in rest)
        if gap >= y1 - y0:
            margins.update(band)
    return margins


def _without_page_numbers(lines: list[Line], height: float) -> list[Line]:
    """The lines a table may take: a page number on the page's first or last line ("- 3 -", "Page 3 of 9") sits
    under a table that ends the page as a cell would, and is the page's furniture, not the table's."""
    top, bottom = min(line.y1 for line in lines), max(line.y0 for line in lines)
    return [
        line
        for line in lines
        if not (
            (line.y0 <= top <= ZONE_SHARE * height or line.y1 >= bottom >= (1 - ZONE_SHARE) * height)
            and PAGE_NUMBER.match(line.text.strip())
        )
    ]


def _inside_any(line: Line, tables: list[PageTable]) -> bool:
    cx, cy = (line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2
    return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in (table.bbox for table in tables))


def _zones(lines: list[Line], height: float) -> dict[int, str]:
    """Indexes of the lines that may be running headers or footers: the first and last band of the page within
    ``ZONE_SHARE`` of its edge, and the second band within two thirds of that."""
    bands = sorted({round(line.y0) for line in lines})
    zones: dict[int, str] = {}
    for index, line in enumerate(lines):
        band = round(line.y0)
        if band in bands[:ZONE_BANDS]:
            share = ZONE_SHARE if band == bands[0] else ZONE_SHARE * 2 / 3
            if line.y1 <= share * height:
                zones[index] = "top"
                continue
        if band in bands[-ZONE_BANDS:]:
            share = ZONE_SHARE if band == bands[-1] else ZONE_SHARE * 2 / 3
            if line.y0 >= (1 - share) * height:
                zones[index] = "bottom"
    return zones


def _median_size(lines: list[Line]) -> float:
    sizes = sorted(line.size for line in lines)
    return sizes[len(sizes) // 2]


def _blocks_to_items(blocks: list[Block]) -> list[Item]:
    return [
        Item(
            block.kind,
            text,
            block.page,
            block.bbox,
            size=block.size,
            bold=block.bold,
            lines=len(block.lines),
            zone=block.zone,
            broken_end=bool(block.lines[-1].words) and block.lines[-1].words[-1].hyphenated,
            full_end=len(block.lines) > 1 and block.lines[-1].x1 >= block.bbox[2] - block.size,
            font=line_font(block.lines[0]),
            mono=len(block.lines) <= MAX_HEADING_LINES and monospaced(block.lines[0]),
        )
        for block, text in ((block, block.text) for block in blocks)
        if text.strip()
    ]


def to_elements(items: list[Item], plain: dict[int, list[Element]]) -> tuple[list[Element], list[Table]]:
    """Document-model elements in reading order, page furniture first and last on its page, a break between pages."""
    elements: list[Element] = []
    tables: list[Table] = []
    by_page: dict[int, list[Item]] = {}
    for item in items:
        by_page.setdefault(item.page, []).append(item)
    for position, number in enumerate(sorted({*by_page, *plain})):
        if position:
            elements.append(Element("page_break", "", page=number))
        if number in plain:
            elements.extend(plain[number])
            continue
        page_items = by_page[number]
        headers = [item for item in page_items if item.kind == "page_header"]
        footers = [item for item in page_items if item.kind == "page_footer"]
        body = [item for item in page_items if item.kind not in FURNITURE_TYPES]
        for item in headers + body + footers:
            elements.append(_element(item, tables))
    return elements, tables


def _element(item: Item, tables: list[Table]) -> Element:
    if item.table is not None:
        table = item.table
        pages = item.pages or [item.page]
        parsed = Table(table.rows, page=item.page, header_rows=table.header_rows, bbox=table.bbox, pages=pages)
        tables.append(parsed)
        # The element carries the table's text too, as every other parser's table element does.
        return Element("table", table_text(parsed), page=item.page, table_index=len(tables) - 1, bbox=table.bbox)
    return Element(item.kind, item.text, page=item.page, level=item.level, bbox=item.bbox)
