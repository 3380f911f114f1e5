"""Tables drawn as a grid of rules.

Segments that meet or cross form connected groups (pdfplumber's edges -> intersections idea). Each group with
horizontal and vertical rules gives a grid: its x-lines are the vertical rules plus the ends of the horizontal
ones (a table drawn with inner column rules only still has its outer edges), its y-lines likewise. Neighbouring
grid cells whose shared border is mostly missing are one spanning cell; its text stands in its top-left grid cell
only (see ``tables_common``). A grid row holding three or more complete text lines and no rule between them
(columns ruled, rows not) is split into rows the way booktabs tables are.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from webapp.pipeline.layout.model import Line, Word
from webapp.pipeline.layout.tables_common import Found, Span, WordIndex, make_table, text_lines
from webapp.pipeline.layout.tables_rows import group_records, spans_of
from webapp.pipeline.layout.tables_rules import Segment, Tolerances, components, coverage, crossings
from webapp.pipeline.layout.tables_text import Piece, Row, find_columns

# A shared border drawn over less than this share of its length is missing: the cells on both sides are one.
BORDER_MIN = 0.5
# A grid with text in fewer of its cells than this is a drawing (a chart's gridlines), not a table.
MIN_FILLED = 0.2
MIN_DENSITY = 0.1
SPLIT_MIN_BANDS = 3


@dataclass(slots=True)
class Grid:
    xs: list[float]
    ys: list[float]
    # The rules lying on each x-line / y-line.
    on_x: list[list[Segment]]
    on_y: list[list[Segment]]

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])


def find_ruled(
    index: WordIndex,
    lines: list[Line],
    horizontal: list[Segment],
    vertical: list[Segment],
    tol: Tolerances,
    page: tuple[float, float],
) -> tuple[list[Found], set[int]]:
    """Tables from the grids, and the horizontal segments that belong to any grid (not booktabs material)."""
    pairs = crossings(horizontal, vertical, tol.touch)
    if not pairs:
        return [], set()
    count = len(horizontal)
    tables = []
    for group in components(count + len(vertical), [(i, count + j) for i, j in pairs]):
        hs = [horizontal[n] for n in group if n < count]
        vs = [vertical[n - count] for n in group if n >= count]
        grid = _grid(hs, vs, tol.snap) if hs and vs else None
        if grid is not None and not _bleeds(grid, page):
            table = _grid_table(_with_subcolumns(_with_header_above(grid, lines), lines), index)
        else:
            table = None
        if table is not None:
            tables.append(table)
    return tables, {i for i, _ in pairs}


def _bleeds(grid: Grid, page: tuple[float, float]) -> bool:
    """Rules running to the page's edge frame a page design (a cover), not a table."""
    x0, y0, x1, y1 = grid.box
    return x0 <= 1.0 or y0 <= 1.0 or x1 >= page[0] - 1.0 or y1 >= page[1] - 1.0


def _positions(values: list[float], snap: float) -> list[float]:
    values.sort()
    clusters: list[list[float]] = []
    for value in values:
        if clusters and value - clusters[-1][-1] <= snap:
            clusters[-1].append(value)
        else:
            clusters.append([value])
    return [sum(c) / len(c) for c in clusters]


def _nearest(positions: list[float], value: float) -> int:
    k = bisect_right(positions, value)
    if k == 0:
        return 0
    if k == len(positions) or value - positions[k - 1] <= positions[k] - value:
        return k - 1
    return k


def _grid(hs: list[Segment], vs: list[Segment], snap: float) -> Grid | None:
    xs = _positions([v.pos for v in vs] + [min(h.start for h in hs), max(h.end for h in hs)], snap)
    ys = _positions([h.pos for h in hs] + [min(v.start for v in vs), max(v.end for v in vs)], snap)
    if len(xs) < 3 or len(ys) < 3:
        return None
    on_x: list[list[Segment]] = [[] for _ in xs]
    on_y: list[list[Segment]] = [[] for _ in ys]
    for v in vs:
        on_x[_nearest(xs, v.pos)].append(v)
    for h in hs:
        on_y[_nearest(ys, h.pos)].append(h)
    return Grid(xs, ys, on_x, on_y)


def _with_header_above(grid: Grid, lines: list[Line]) -> Grid:
    """A grid with no rule on top whose columns' headings sit right above it, one per column (a header row
    drawn as a filled band, not with rules), gets that row."""
    if grid.on_y[0]:
        return grid
    top = grid.ys[0]
    above = [
        line
        for line in lines
        if top - 0.6 * line.height <= line.y1 <= top + 1.0 and grid.xs[0] - 1 <= line.x0 and line.x1 <= grid.xs[-1] + 1
    ]
    homes = {_slot(grid.xs, (line.x0 + line.x1) / 2) for line in above}
    inside_one = all(_slot(grid.xs, line.x0 + 1) == _slot(grid.xs, line.x1 - 1) for line in above)
    if len(above) < 2 or len(homes) < len(above) or not inside_one:
        return grid
    ys = [min(line.y0 for line in above) - 1.0, *grid.ys]
    # The band's lower edge is the row's border, though not drawn.
    return Grid(grid.xs, ys, grid.on_x, [[], [Segment(top, grid.xs[0], grid.xs[-1])], *grid.on_y[1:]])


def _with_subcolumns(grid: Grid, lines: list[Line]) -> Grid:
    """The grid with a column of cells aligned by whitespace inside a ruled column split (rules between groups
    of columns only, "Top-20: NQ TriviaQA WQ" under one heading): an undrawn border at each gap of the lines
    that share a baseline, in every row no line crosses it (a heading over the group spans it)."""
    x0, y0, x1, y1 = grid.box
    inside = [line for line in lines if x0 < line.x0 and line.x1 < x1 and y0 < (line.y0 + line.y1) / 2 < y1]
    xs, on_x = list(grid.xs), [list(segments) for segments in grid.on_x]
    for c in range(len(grid.xs) - 1):
        column = [line for line in inside if grid.xs[c] - 1 <= line.x0 and line.x1 <= grid.xs[c + 1] + 1]
        for cut, rows in _cuts(column, grid.ys):
            k = bisect_right(xs, cut)
            xs.insert(k, cut)
            on_x.insert(k, [Segment(cut, grid.ys[r], grid.ys[r + 1]) for r in rows])
    return grid if len(xs) == len(grid.xs) else Grid(xs, grid.ys, on_x, grid.on_y)


def _cuts(column: list[Line], ys: list[float]) -> list[tuple[float, list[int]]]:
    """Where the lines of one ruled column split into whitespace columns, each with the rows it separates."""
    by_row: dict[int, list[Line]] = {}
    for line in column:
        by_row.setdefault(_slot(ys, (line.y0 + line.y1) / 2), []).append(line)
    side_by_side = [line for row in by_row.values() if _shares_baseline(row) for line in row]
    if sum(1 for row in by_row.values() if _shares_baseline(row)) < 2:
        return []
    ranges = find_columns(side_by_side)
    cuts = []
    for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
        x = (end + start) / 2
        rows = [r for r in range(len(ys) - 1) if not any(line.x0 < x < line.x1 for line in by_row.get(r, []))]
        cuts.append((x, rows))
    return cuts


def _shares_baseline(lines: list[Line]) -> bool:
    ordered = sorted(lines, key=lambda line: line.y0 + line.y1)
    return any(b.y0 + b.y1 <= 2 * a.y1 for a, b in zip(ordered, ordered[1:], strict=False))


def _cells(grid: Grid) -> list[list[int]]:
    """Base cells (row * ncols + column) grouped into merged cells where borders are missing."""
    nrows, ncols = len(grid.ys) - 1, len(grid.xs) - 1
    pairs = []
    for r in range(nrows):
        top, bottom = grid.ys[r], grid.ys[r + 1]
        for c in range(ncols):
            if c + 1 < ncols and coverage(grid.on_x[c + 1], top, bottom) < BORDER_MIN:
                pairs.append((r * ncols + c, r * ncols + c + 1))
            if r + 1 < nrows and coverage(grid.on_y[r + 1], grid.xs[c], grid.xs[c + 1]) < BORDER_MIN:
                pairs.append((r * ncols + c, (r + 1) * ncols + c))
    return components(nrows * ncols, pairs, singles=True)


def _grid_table(grid: Grid, index: WordIndex) -> Found | None:
    nrows, ncols = len(grid.ys) - 1, len(grid.xs) - 1
    words = index.inside(grid.box)
    if not _dense(words, grid):
        return None
    spans, owner = _grid_spans(grid)
    filled = _assign(words, grid, spans, owner)
    if len(filled) < MIN_FILLED * nrows * ncols:
        return None
    spans = [part for span in spans for part in _unmerged(span, grid)]
    heights = sorted(w.y1 - w.y0 for w in words)
    tall = {r for r in range(nrows) if grid.ys[r + 1] - grid.ys[r] > 2.5 * heights[len(heights) // 2]}
    spans, nrows = _split_tall_rows(spans, nrows, ncols, tall)
    edges = list(zip(grid.xs, grid.xs[1:], strict=False))
    found = make_table(spans, nrows, edges, grid.box, "ruled")
    if found is not None:
        found.words.extend(words)  # the words split by _run_together count as taken too
    return found


def _dense(words: list[Word], grid: Grid) -> bool:
    """Not a diagram's boxes and arrows: text covers a tenth of the grid, or its rows are no taller than a few
    lines of its text (a sparse table of marks has low rows)."""
    if not words:
        return False
    box = grid.box
    area = (box[2] - box[0]) * (box[3] - box[1])
    if sum((w.x1 - w.x0) * (w.y1 - w.y0) for w in words) >= MIN_DENSITY * area:
        return True
    heights = sorted(b - a for a, b in zip(grid.ys, grid.ys[1:], strict=False))
    text = sorted(w.y1 - w.y0 for w in words)
    return heights[len(heights) // 2] <= 3 * text[len(text) // 2]


def _grid_spans(grid: Grid) -> tuple[list[Span], list[int]]:
    """One span per merged cell, and the span owning each base cell (row * ncols + column)."""
    ncols = len(grid.xs) - 1
    owner = [0] * ((len(grid.ys) - 1) * ncols)
    spans = []
    for n, group in enumerate(_cells(grid)):
        rows = [cell // ncols for cell in group]
        cols = [cell % ncols for cell in group]
        spans.append(Span(min(rows), max(rows) + 1, min(cols), max(cols) + 1))
        for cell in group:
            owner[cell] = n
    return spans, owner


def _assign(words: list[Word], grid: Grid, spans: list[Span], owner: list[int]) -> set[int]:
    """Each word into the span owning the base cell of its centre; returns the base cells with text."""
    ncols = len(grid.xs) - 1
    filled = set()
    xs = grid.xs
    for word in words:
        r = _slot(grid.ys, (word.y0 + word.y1) / 2)
        # The columns of the word's first and last character: one cell, or text run together across a border.
        half = (word.x1 - word.x0) / max(len(word.text), 1) / 2
        c = _slot(xs, word.x0 + half)
        parts = [word] if c == _slot(xs, word.x1 - half) else _run_together(word, grid, r) or [word]
        for part in parts:
            if part is not word:
                c = _slot(xs, (part.x0 + part.x1) / 2)
            spans[owner[r * ncols + c]].words.append(part)
            filled.add(r * ncols + c)
    return filled


def _unmerged(span: Span, grid: Grid) -> list[Span]:
    """A cell spanning columns only because a border is not drawn (a shaded header row) when its words keep to
    the columns under it, an em apart or more: one cell per column."""
    if span.right - span.left < 2 or span.bottom - span.top != 1 or not span.words:
        return [span]
    columns: dict[int, list[Word]] = {c: [] for c in range(span.left, span.right)}
    for word in span.words:
        first, last = _slot(grid.xs, word.x0 + 0.5), _slot(grid.xs, word.x1 - 0.5)
        if first != last:
            return [span]
        columns[first].append(word)
    used = [c for c, words in columns.items() if words]
    em = max(word.size for word in span.words)
    for left, right in zip(used, used[1:], strict=False):
        if min(w.x0 for w in columns[right]) - max(w.x1 for w in columns[left]) < em:
            return [span]
    if len(used) < 2:
        return [span]
    return [Span(span.top, span.bottom, c, c + 1, words) for c, words in columns.items()]


def _slot(lines: list[float], value: float) -> int:
    """The interval of ``lines`` holding ``value`` (the first or last one beyond the ends)."""
    k = bisect_right(lines, value) - 1
    return 0 if k < 0 else len(lines) - 2 if k > len(lines) - 2 else k


def _run_together(word: Word, grid: Grid, row: int) -> list[Word] | None:
    """A "word" running across a drawn cell border is several cells' text the text layer ran together ("XX" for
    an "X" in two columns): cut it into characters spread evenly over its box, one piece per cell. A word that
    only overflows its cell keeps most of its characters on one side and stays whole."""
    count = len(word.text)
    step = (word.x1 - word.x0) / count
    slots = [_slot(grid.xs, word.x0 + (n + 0.5) * step) for n in range(count)]
    if min(slots.count(s) for s in set(slots)) < 0.25 * count:
        return None
    top, bottom = grid.ys[row], grid.ys[row + 1]
    if all(coverage(grid.on_x[k], top, bottom) < BORDER_MIN for k in range(slots[0] + 1, slots[-1] + 1)):
        return None
    parts: list[Word] = []
    for n, (char, slot) in enumerate(zip(word.text, slots, strict=True)):
        x0 = word.x0 + n * step
        if n and slot == slots[n - 1]:
            parts[-1].text += char
            parts[-1].x1 = x0 + step
        else:
            parts.append(Word(char, x0, word.y0, x0 + step, word.y1, word.size, word.bold, word.italic, word.font))
    return parts


def _split_tall_rows(spans: list[Span], nrows: int, ncols: int, tall: set[int]) -> tuple[list[Span], int]:
    """Grid rows (of ``tall``, those with room for three lines) with several complete text lines and no rule
    between them become one row per record."""
    expanded: dict[int, list[Span]] = {}
    spanned = {r for s in spans if s.bottom - s.top > 1 for r in range(s.top, s.bottom)}
    by_row: dict[int, list[Span]] = {}
    for span in spans:
        if span.bottom == span.top + 1:
            by_row.setdefault(span.top, []).append(span)
    for r in range(nrows):
        if r in spanned or r not in tall:
            continue
        inside = by_row.get(r, [])
        records = _records(inside, ncols)
        if records is not None:
            expanded[r] = spans_of(records)
    if not expanded:
        return spans, nrows
    start = [0] * (nrows + 1)
    for r in range(nrows):
        start[r + 1] = start[r] + (max(s.bottom for s in expanded[r]) if r in expanded else 1)
    result = []
    for span in spans:
        if span.top in expanded and span.bottom == span.top + 1:
            continue
        result.append(Span(start[span.top], start[span.bottom], span.left, span.right, span.words))
    for r, new in expanded.items():
        result.extend(Span(s.top + start[r], s.bottom + start[r], s.left, s.right, s.words) for s in new)
    return result, start[nrows]


def _records(spans: list[Span], ncols: int) -> list[list[Row]] | None:
    words = [w for s in spans for w in s.words]
    bands = text_lines(words)
    if len(bands) < 2:
        return None
    span_of = {id(w): s for s in spans for w in s.words}
    rows = []
    for band in bands:
        row = Row(min(w.y0 for w in band), max(w.y1 for w in band))
        cells: dict[int, list[Word]] = {}
        for word in band:
            cells.setdefault(id(span_of[id(word)]), []).append(word)
        for words_in in cells.values():
            span = span_of[id(words_in[0])]
            row.pieces.append(Piece(span.left, span.right, words_in))
        rows.append(row)
    # Complete: the first (key) column and most others; a label centred beside wrapped cells is not one. Two
    # complete lines set differently are a header and a row sharing one drawn row (a shaded header).
    complete = [row for row in rows if 0 in row.occupied() and len(row.occupied()) >= max(2, 0.6 * ncols)]
    styles = {_style(row) for row in complete}
    if len(complete) < SPLIT_MIN_BANDS and not (len(complete) == 2 and len(styles) == 2):
        return None
    size = sorted(w.size for w in words)[len(words) // 2]
    return group_records(rows, [], ncols, size)


def _style(row: Row) -> tuple[bool, float]:
    words = [w for piece in row.pieces for w in piece.words]
    sizes = sorted(w.size for w in words)
    return all(w.bold for w in words), round(2 * sizes[len(sizes) // 2]) / 2
