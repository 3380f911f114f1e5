"""Tables with no rules at all, held together by whitespace: financial statements and simple figure tables.

A seed is a band of two or more lines where a line other than the first is a figure ("63,355", "(120,410)",
"$ 1.20", "12.5%", "—"; years do not count). Seeds close to each other make a run; the run's columns come from its
seeds' alignment, a "$" set apart joining the figure to its right. Bands between seeds join when they stay inside
the table and keep to its columns (a section label like "Net sales:", a label wrapped over two lines), and bands
above the first seed join as the header while they hold text or years over the figure columns, stacked closely,
up to a title in capitals or a unit note ("(In millions)"). When the first (or last) column of a run is running
text going on above and below, it is the page's other column of prose: the run is looked at again without it.

A candidate must then hold three rows with two cells or more, a column of figures that is not the first column
(or two of them), figures sharing an edge, and pass ``tables_rows.implausible`` (a chart's scattered tick labels,
a table of contents, paragraphs). Prose, two-column articles, bulleted and numbered lists, dot-leader tables of
contents and code never make a seed run: their lines are not figures (code is also told by its fixed pitch).
"""

from __future__ import annotations

import re

from webapp.pipeline.layout.model import Line, Word
from webapp.pipeline.layout.tables_beside import prose_beside
from webapp.pipeline.layout.tables_common import (
    CURRENCY,
    Found,
    Span,
    has_dot_leader,
    is_monospace,
    is_numeric,
    is_year,
    make_table,
)
from webapp.pipeline.layout.tables_rows import group_records, implausible, mostly_spread, spans_of, widen_headings
from webapp.pipeline.layout.tables_rules import Segment
from webapp.pipeline.layout.tables_text import (
    FIGURE_START,
    Band,
    Columns,
    Row,
    bands_of,
    body_columns,
    edges,
    rows_on,
    shared_edge,
    split_figures,
)

MIN_ROWS = 3
# Seeds further apart than this (in line heights), or with more bands between them, are separate tables.
MAX_GAP_EM = 4.0
MAX_BETWEEN = 3
MAX_HEADER_BANDS = 8
HEADER_GAP_EM = 2.5
# Lines of one header sit closer than this (em) to each other.
HEADER_STACK_EM = 0.8
_CAPTION = re.compile(r"^(?:Table|Tab\.|Figure|Fig\.|Exhibit|Chart|Source|Note)s?\b", re.IGNORECASE)
_UNIT_NOTE = re.compile(r"^\((?:in |unaudited|amounts in|dollars in)", re.IGNORECASE)
_DASHES = ("-", "–", "—")
_LETTERS = re.compile(r"[^\W\d_]{2}")
_EQUATION_NUMBER = re.compile(r"^\(\d+[a-z]?\)$")
# A header cell has no more words than this (a longer line running past the figures is prose).
MAX_HEADER_WORDS = 6
# Share of a figure column's figures that must share a right, left or centre edge.
ALIGNED_SHARE = 0.6


def find_aligned(lines: list[Line], hints: list[Segment], ocr: bool, beside: int = 2) -> list[Found]:
    """``beside``: how many times more a column of running text beside a run may be cut off (a page of three
    columns has two beside a table in its last one)."""
    # Cheap refusal first: a page without three lines holding a figure has no seeds.
    if sum(1 for line in lines if _figure_at_end(line)) < MIN_ROWS:
        return []
    lines = split_figures(lines)
    bands = bands_of(lines)
    if any(line.text in _DASHES for line in lines):
        # A list's dash bullets set apart from their items are no nil figures, nor are they once the items
        # (the other column of the page) are cut away.
        bullets = {id(line) for band in bands for k, line in enumerate(band.lines) if _bullet(band.lines, k)}
        lines = [line for line in lines if id(line) not in bullets]
        bands = bands_of(lines)
    seeds = [_is_seed(band) for band in bands]
    if sum(seeds) < MIN_ROWS:
        return []
    tables: list[Found] = []
    for first, last in _runs(bands, seeds):
        columns = body_columns([bands[i] for i in range(first, last + 1) if seeds[i]])
        cut = prose_beside(bands, first, last, columns[0]) if beside else None
        if cut is None:
            tables.extend(_run_tables(bands, seeds, first, last, hints, ocr, columns))
            continue
        # Running text among the figures is another column of the page: look again on either side of it, near
        # the run (and just below it: running text shows itself by going on).
        top, bottom = bands[first].y0 - 15 * _size(bands), bands[last].y1 + 3 * _size(bands)
        near = [line for line in lines if top <= line.y0 and line.y1 <= bottom]
        # The column itself too: it may hold a table of its own beside the figures that made the run.
        inner = [line for line in near if cut[0] <= line.x0 and line.x1 <= cut[1]]
        for kept in ([line for line in near if line.x1 < cut[0]], inner, [line for line in near if line.x0 > cut[1]]):
            if kept:
                tables.extend(find_aligned(kept, hints, ocr, beside=beside - 1))
    return tables


def _figure_at_end(line: Line) -> bool:
    last = line.words[-1]
    return last.text[:1] in FIGURE_START and is_numeric([last]) and not is_year([last])


def _is_seed(band: Band) -> bool:
    """Two lines or more, one after the first a figure (years do not count: a row of years is a header)."""
    if len(band.lines) < 2 or not any(is_numeric(line.words) and not is_year(line.words) for line in band.lines[1:]):
        return False
    return not any(has_dot_leader(line.words) for line in band.lines)


def _bullet(lines: list[Line], index: int) -> bool:
    """A lone dash just before a line of words is a list item's bullet set apart, not a nil figure."""
    line = lines[index]
    if index + 1 >= len(lines) or line.text not in _DASHES:
        return False
    after = lines[index + 1]
    return after.x0 - line.x1 <= 2 * max(line.size, 1.0) and _LETTERS.match(after.text) is not None


def _size(bands: list[Band]) -> float:
    sizes = sorted(line.size for band in bands for line in band.lines)
    return max(sizes[len(sizes) // 2], 1.0)


def _runs(bands: list[Band], seeds: list[bool]) -> list[tuple[int, int]]:
    """(first, last) seed indexes of runs of at least ``MIN_ROWS`` seeds close to each other."""
    size = _size(bands)
    runs: list[list[int]] = []
    for index, seed in enumerate(seeds):
        if not seed:
            continue
        if runs:
            previous = runs[-1][-1]
            close = bands[index].y0 - bands[previous].y1 <= MAX_GAP_EM * size
            if close and index - previous - 1 <= MAX_BETWEEN:
                runs[-1].append(index)
                continue
        runs.append([index])
    return [(run[0], run[-1]) for run in runs if len(run) >= MIN_ROWS]


def _run_tables(
    bands: list[Band],
    seeds: list[bool],
    first: int,
    last: int,
    hints: list[Segment],
    ocr: bool,
    columns: tuple[list[tuple[float, float]], list[str]] | None = None,
) -> list[Found]:
    """The table of seeds ``first`` to ``last``, or of the parts left when something wider than the table sits
    between them; ``columns`` when they are known already."""
    while first < last and not seeds[first]:
        first += 1
    while last > first and not seeds[last]:
        last -= 1
    ranges, aligns = columns or body_columns([bands[i] for i in range(first, last + 1) if seeds[i]])
    if len(ranges) < 2:
        return []
    for index in range(first + 1, last):
        if not seeds[index] and not _fits(bands[index], ranges):
            upper = _run_tables(bands, seeds, first, index - 1, hints, ocr) if _count(seeds, first, index) else []
            lower = _run_tables(bands, seeds, index + 1, last, hints, ocr) if _count(seeds, index, last) else []
            return upper + lower
    table = _run_table(bands, first, last, Columns(ranges, aligns, hints), ocr)
    return [table] if table is not None else []


def _run_table(bands: list[Band], first: int, last: int, columns: Columns, ocr: bool) -> Found | None:
    top = _header_start(bands, first, columns.ranges)
    words = [w for b in bands[top : last + 1] for line in b.lines for w in line.words]
    if is_monospace(words):
        return None
    size = _size(bands[top : last + 1])
    # The header: the bands on top with text over the figures, set unlike the figures (bold, smaller) or in
    # years; labels below them open the body, and so does a row of text set like the figures.
    head = 0
    style = _style(bands[first])
    while top + head < first and not _label_only(bands[top + head], columns.ranges):
        band = bands[top + head]
        if _style(band) == style and not any(is_year(line.words) for line in band.lines):
            break
        head += 1
    heading = rows_on(bands[top : top + head], columns)
    widen_headings(heading)
    header = group_records(heading, [], len(columns), size, header=True)
    body = group_records(rows_on(bands[top + head : last + 1], columns), [], len(columns), size)
    if not _valid(body, size, ocr) or mostly_spread(body):
        return None
    box = (min(w.x0 for w in words), min(w.y0 for w in words), max(w.x1 for w in words), max(w.y1 for w in words))
    spans: list[Span] = spans_of(header + body)
    if implausible(spans, len(header) + len(body), len(columns)):
        return None
    return make_table(spans, len(header) + len(body), edges(columns, box[0], box[2]), box, "aligned", len(header))


def _style(band: Band) -> tuple[bool, float]:
    """(bold, size) of the band's last line: the figures' side, where header and body differ."""
    line = band.lines[-1]
    return line.bold, round(line.size)


def _title(band: Band) -> bool:
    """A lone line in capitals or a unit note ("(In millions)", "(Unaudited)"): the statement's title above
    the table, not a header row."""
    if len(band.lines) != 1:
        return False
    text = band.lines[0].text
    letters = [ch for ch in text if ch.isalpha()]
    return bool(_UNIT_NOTE.match(text)) or (len(letters) > 3 and all(ch.isupper() for ch in letters) and " " in text)


def _label_only(band: Band, ranges: list[tuple[float, float]]) -> bool:
    """Nothing over the figure columns."""
    return all(line.x1 <= ranges[1][0] for line in band.lines)


def _count(seeds: list[bool], start: int, end: int) -> bool:
    return sum(seeds[start : end + 1]) >= MIN_ROWS


def _fits(band: Band, ranges: list[tuple[float, float]]) -> bool:
    """The band keeps inside the table (a label may stand out to the left: outdented section labels, centred
    labels) and no line of it runs from the labels into the figures."""
    for line in band.lines:
        em = max(line.size, 1.0)
        # A header wider than the left-aligned figures under it starts where they start and runs on past them.
        heads_last = abs(line.x0 - ranges[-1][0]) <= em and len(line.words) <= MAX_HEADER_WORDS
        if line.x1 > ranges[-1][1] + 4 * em and not heads_last:
            return False
        if line.x0 < ranges[0][1] and line.x1 > ranges[1][0] + 0.5 * em:
            return False
        if has_dot_leader(line.words) or _CAPTION.match(line.words[0].text):
            return False
    return True


def _header_start(bands: list[Band], first: int, ranges: list[tuple[float, float]]) -> int:
    """Index of the topmost band above ``first`` that still belongs to the table: header rows (text or years
    over the figures), closely stacked once they start, and section labels."""
    top = first
    size = max(bands[first].lines[0].size, 1.0)
    gap = HEADER_GAP_EM * size
    while top > 0 and first - top < MAX_HEADER_BANDS:
        band = bands[top - 1]
        if bands[top].y0 - band.y1 > gap or not _fits(band, ranges) or _title(band):
            break
        over_figures = [line for line in band.lines if line.x1 > ranges[1][0]]
        if any(is_numeric(line.words) and not is_year(line.words) for line in over_figures):
            break
        top -= 1
        if over_figures:
            gap = HEADER_STACK_EM * size
    # Lone labels on top are the last lines of a paragraph set just above (its other lines ran wider than the
    # table), or a title unless they end with ":" like a section label.
    tail = top > 0 and bands[top].y0 - bands[top - 1].y1 < 0.6 * size
    while top < first and _label_only(bands[top], ranges):
        if not tail and bands[top].lines[-1].text.endswith(":"):
            break
        tail = tail and top + 1 < first and bands[top + 1].y0 - bands[top].y1 < 0.6 * size
        top += 1
    return top


def _valid(records: list[list[Row]], size: float, ocr: bool) -> bool:
    full = sum(1 for record in records if len({c for row in record for c in row.occupied()}) >= 2)
    if full < MIN_ROWS:
        return False
    cells: dict[int, list[list[Word]]] = {}
    for record in records:
        for row in record:
            for piece in row.pieces:
                words = [w for w in piece.words if w.text not in CURRENCY]
                if piece.right == piece.left + 1 and words:
                    cells.setdefault(piece.left, []).append(words)
    figures = sorted(c for c, column in cells.items() if _figure_column(column, size, ocr))
    return bool(figures) and (len(figures) >= 2 or figures[0] > 0)


def _figure_column(cells: list[list[Word]], size: float, ocr: bool) -> bool:
    """Mostly figures, at least three, sharing an edge; not a column of equation numbers."""
    figures = [words for words in cells if is_numeric(words)]
    if len(figures) < MIN_ROWS or len(figures) < 0.6 * len(cells):
        return False
    if all(len(words) == 1 and _EQUATION_NUMBER.match(words[0].text) for words in figures):
        return False
    tol = max(4.0 if ocr else 2.0, 0.35 * size)
    rights = [words[-1].x1 - 0.35 * size * _hanging(words[-1].text) for words in figures]
    lefts = [words[0].x0 for words in figures]
    middles = [(words[0].x0 + words[-1].x1) / 2 for words in figures]
    return any(shared_edge(edges, tol) >= ALIGNED_SHARE * len(figures) for edges in (rights, lefts, middles))


def _hanging(text: str) -> int:
    """Characters set past the figures' edge: the ")" of a negative, a "%"."""
    return len(text) - len(text.rstrip(")%"))
