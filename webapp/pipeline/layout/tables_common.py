"""What the three table finders share: telling numbers from text, a cell's text, spans on a grid, header rows.

Every finder ends with a list of ``Span`` (a rectangle of grid cells and the words in it) on an ``nrows`` x
``ncols`` grid; ``make_table`` turns that into a ``PageTable``. A span's text stands once, in the top-left grid
cell it covers, and the cells it covers stay empty, as in the HTML parser. Docling repeats spanning text in every
column ("TEDs | TEDs | TEDs"); measured on the SEC filings that turned one 8-column header into 8 copies of itself
in the text and the Markdown, and cost the token F1 of the whole document 5 points.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from webapp.pipeline.layout.model import PageTable, Word

# A figure in a table cell: "63,355", "(1,102)", "-3.5", "12.5%", "$4.20", "0.965", "+7", "3x". Not "1." (a list
# number) and not "2.1.3" (a section number).
_NUMBER = re.compile(
    r"^[+\-−–]?\(?[$€£¥]?\(?(?:\d{1,3}(?:[,\u202f\u00a0]\d{3})+|\d+)(?:\.\d+)?\)?(?:%|x|bp|pp)?\)?[*†‡]?$"
    r"|^[+\-−–]?\.\d+%?$"
)
_YEAR = re.compile(r"^(?:FY|fy)?(?:19|20)\d\d[a-z]?$")
CURRENCY = frozenset({"$", "€", "£", "¥", "US$", "C$", "A$", "R$", "CHF"})
SUFFIX = frozenset({"%", ")", "%)", "pts", "bps"})
# What stands for "nothing" in a numeric column.
_NIL = frozenset({"—", "–", "-", "−", "n/a", "N/A", "NA", "nm", "NM", "n.m.", "*", "‒", "―"})
_DOT_LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}")
_MONO_HINTS = ("courier", "mono", "consol", "menlo", "code")
MONO_SAMPLE = 40


def token_kind(token: str) -> str:
    """ "num", "nil", "cur" (a currency sign), "suffix" or "text"."""
    if token in CURRENCY:
        return "cur"
    if token in _NIL:
        return "nil"
    if token in SUFFIX:
        return "suffix"
    return "num" if _NUMBER.match(token) else "text"


def is_numeric(words: list[Word]) -> bool:
    """True for a run of words that is a figure: every token a number, a currency sign, a nil dash or a "%"."""
    seen_number = False
    for word in words:
        kind = token_kind(word.text)
        if kind == "text":
            return False
        seen_number = seen_number or kind in ("num", "nil")
    return seen_number


def is_year(words: list[Word]) -> bool:
    return bool(words) and all(_YEAR.match(word.text) for word in words)


def has_dot_leader(words: list[Word]) -> bool:
    """A run of leader dots ("Methods . . . . 7", "Methods......7"), as in a table of contents."""
    if not any(".." in word.text or word.text in (".", "…") for word in words):
        return False
    return bool(_DOT_LEADER.search(" ".join(word.text for word in words)))


def is_monospace(words: list[Word]) -> bool:
    """Most of the words set in a fixed-pitch font: code, not a table. Told by the font's name or, when the name
    says nothing ("BookMasterGothic"), by words of letters all being as wide per character (a sample of them)."""
    fonts = {word.font for word in words}
    mono = {font for font in fonts if any(hint in font.lower() for hint in _MONO_HINTS)}
    if mono and sum(1 for word in words if word.font in mono) * 2 > len(words):
        return True
    pitches: list[float] = []
    for word in words:
        text = word.text
        if len(text) >= 4 and text[0].isalpha() and text[-2].isalpha() and word.size > 0:
            pitches.append((word.x1 - word.x0) / len(text) / word.size)
            if len(pitches) == MONO_SAMPLE:
                break
    if len(pitches) < 6:
        return False
    pitches.sort()
    middle = pitches[len(pitches) // 2]
    return sum(1 for pitch in pitches if abs(pitch - middle) <= 0.04 * middle) >= 0.8 * len(pitches)


class WordIndex:
    """The page's words by vertical centre, for taking those inside a box (sorted on first use: most pages
    never ask)."""

    def __init__(self, words: list[Word]) -> None:
        self._words = words
        self._sorted: list[Word] | None = None
        self._keys: list[float] = []

    def inside(self, box: tuple[float, float, float, float]) -> list[Word]:
        if self._sorted is None:
            self._sorted = sorted(self._words, key=lambda word: word.y0 + word.y1)
            self._keys = [(word.y0 + word.y1) / 2 for word in self._sorted]
        x0, y0, x1, y1 = box
        start, end = bisect_left(self._keys, y0), bisect_right(self._keys, y1)
        return [w for w in self._sorted[start:end] if x0 <= (w.x0 + w.x1) / 2 <= x1]


def _vertical(word: Word) -> bool:
    """Set bottom to top (a rotated column header): taller than wide, more than one character."""
    return len(word.text) > 1 and word.y1 - word.y0 > (word.x1 - word.x0) + 2.0


def text_lines(words: list[Word]) -> list[list[Word]]:
    """Words of one cell grouped into visual lines, top to bottom, each left to right (rotated text: lines left
    to right, each read bottom to top)."""
    if len(words) < 2:
        return [words] if words else []
    if all(_vertical(word) for word in words):
        return _vertical_lines(words)
    ordered = sorted(words, key=lambda word: (word.y0 + word.y1) / 2)
    lines: list[list[Word]] = []
    bottom = -1e9
    for word in ordered:
        middle = (word.y0 + word.y1) / 2
        if lines and middle < bottom:
            lines[-1].append(word)
            bottom = max(bottom, min(word.y1, middle + (word.y1 - word.y0) / 2))
        else:
            lines.append([word])
            bottom = word.y1
    for line in lines:
        line.sort(key=lambda word: word.x0)
    return lines


def _vertical_lines(words: list[Word]) -> list[list[Word]]:
    lines: list[list[Word]] = []
    right = -1e9
    for word in sorted(words, key=lambda word: (word.x0 + word.x1) / 2):
        if lines and (word.x0 + word.x1) / 2 < right:
            lines[-1].append(word)
        else:
            lines.append([word])
            right = word.x1
    for line in lines:
        line.sort(key=lambda word: -word.y1)
    return lines


def cell_text(words: list[Word]) -> str:
    """A cell's words joined by single spaces, line after line."""
    if not words:
        return ""
    return " ".join(word.text for line in text_lines(words) for word in line)


@dataclass(slots=True)
class Found:
    """A table and the words it took (the caller checks that no other word sits inside its box)."""

    table: PageTable
    words: list[Word]


@dataclass(slots=True)
class Span:
    """Grid cells rows [top, bottom) x columns [left, right) holding ``words``."""

    top: int
    bottom: int
    left: int
    right: int
    words: list[Word] = field(default_factory=list)


def _grid(spans: list[Span], nrows: int, ncols: int) -> list[list[int]]:
    grid = [[-1] * ncols for _ in range(nrows)]
    for index, span in enumerate(spans):
        for row in range(span.top, span.bottom):
            for column in range(span.left, span.right):
                grid[row][column] = index
    return grid


def _kept(grid: list[list[int]], texts: list[str], ncols: int) -> tuple[list[int], list[int]]:
    """Rows and columns worth keeping: not empty, and not a copy of their neighbour through the same spans."""
    rows = [r for r, line in enumerate(grid) if any(i >= 0 and texts[i] for i in line)]
    columns = [c for c in range(ncols) if any(grid[r][c] >= 0 and texts[grid[r][c]] for r in rows)]
    rows = [r for n, r in enumerate(rows) if n == 0 or any(grid[r][c] != grid[rows[n - 1]][c] for c in columns)]
    columns = [c for n, c in enumerate(columns) if n == 0 or any(grid[r][c] != grid[r][columns[n - 1]] for r in rows)]
    return rows, columns


def header_rows(spans: list[Span], rows: list[int], columns: list[int], grid: list[list[int]], hint: int) -> int:
    """How many of the kept rows form the header: the finder's hint (a rule under the header) first, else what
    spanning cells, bold type and text over figures say."""
    if len(rows) < 2:
        return 0
    limit = max(1, min(len(rows) - 1, 4))
    if hint > 0:
        return min(hint, len(rows) - 1)
    found = max(_span_header(spans, rows, columns, grid), _bold_header(spans, rows, columns, grid))
    found = max(found, _text_over_figures(spans, rows, columns, grid), _set_apart(spans, rows, columns, grid))
    return min(found, limit)


def _span_header(spans: list[Span], rows: list[int], columns: list[int], grid: list[list[int]]) -> int:
    """A cell of the first row spanning some (not all) columns heads the row below it; one spanning rows reaches
    down as far as it goes."""
    depth = 0
    first = {grid[rows[0]][c] for c in columns if grid[rows[0]][c] >= 0}
    for index in first:
        span = spans[index]
        covered = [c for c in columns if span.left <= c < span.right]
        if 1 < len(covered) < len(columns):
            depth = max(depth, 2)
        down = sum(1 for r in rows if span.top <= r < span.bottom)
        if down > 1 and span.words:
            depth = max(depth, down)
    return depth if depth < len(rows) else 0


def _bold_header(spans: list[Span], rows: list[int], columns: list[int], grid: list[list[int]]) -> int:
    def all_bold(row: int) -> bool:
        words = [w for i in {grid[row][c] for c in columns if grid[row][c] >= 0} for w in spans[i].words]
        return bool(words) and all(word.bold for word in words if word.text.strip(".:;,()"))

    count = 0
    while count < len(rows) and all_bold(rows[count]):
        count += 1
    return count if count < len(rows) else 0


def _set_apart(spans: list[Span], rows: list[int], columns: list[int], grid: list[list[int]]) -> int:
    """A first row set in another size than every other row (a header on a filled band)."""

    def size(row: int) -> float:
        sizes = sorted(w.size for i in {grid[row][c] for c in columns if grid[row][c] >= 0} for w in spans[i].words)
        return sizes[len(sizes) // 2] if sizes else 0.0

    first, rest = size(rows[0]), [size(r) for r in rows[1:]]
    return 1 if first and all(s and abs(s - first) >= 0.4 for s in rest) else 0


def _text_over_figures(spans: list[Span], rows: list[int], columns: list[int], grid: list[list[int]]) -> int:
    """Leading rows with text (or years) in the columns that hold figures below them."""
    figures = [c for c in columns[1:] if _numeric_share(spans, rows[1:], c, grid) >= 0.6]
    if not figures:
        return 0
    count = 0
    for row in rows:
        cells = [spans[grid[row][c]].words for c in figures if grid[row][c] >= 0 and spans[grid[row][c]].words]
        if not cells or any(is_numeric(words) and not is_year(words) for words in cells):
            break
        count += 1
    return count if count < len(rows) else 0


def _numeric_share(spans: list[Span], rows: list[int], column: int, grid: list[list[int]]) -> float:
    cells = [spans[grid[r][column]].words for r in rows if grid[r][column] >= 0 and spans[grid[r][column]].words]
    if len(cells) < 2:
        return 0.0
    return sum(1 for words in cells if is_numeric(words) and not is_year(words)) / len(cells)


def _cells(grid: list[list[int]], texts: list[str], rows: list[int], columns: list[int]) -> list[list[str]]:
    """A spanning cell's text stands in its top-left position only, the positions it covers stay empty: as the
    HTML parser does, and so the table's text and Markdown say each thing once (an 8-column header span would
    otherwise read 8 times)."""
    seen: set[int] = set()
    cells = []
    for r in rows:
        row = []
        for c in columns:
            span = grid[r][c]
            row.append(texts[span] if span >= 0 and span not in seen else "")
            if span >= 0:
                seen.add(span)
        cells.append(row)
    return cells


def make_table(
    spans: list[Span], nrows: int, edges: list[tuple[float, float]], bbox: tuple[float, float, float, float],
    kind: str, hint: int = 0,
) -> Found | None:  # fmt: skip
    """The table for spans on an ``nrows`` x ``len(edges)`` grid; None when fewer than 2 rows and 2 columns
    hold text."""
    ncols = len(edges)
    grid = _grid(spans, nrows, ncols)
    texts = [cell_text(span.words) for span in spans]
    rows, columns = _kept(grid, texts, ncols)
    # A table has two rows with two different cells of text (not one paragraph spread over a framed page).
    distinct = [{grid[r][c] for c in columns if grid[r][c] >= 0 and texts[grid[r][c]]} for r in rows]
    if len(columns) < 2 or sum(1 for cells in distinct if len(cells) > 1) < 2:
        return None
    cells = _cells(grid, texts, rows, columns)
    kept_hint = sum(1 for r in rows if r < hint) if hint else 0
    header = header_rows(spans, rows, columns, grid, kept_hint)
    bounds = []
    for n, c in enumerate(columns):
        end = columns[n + 1] - 1 if n + 1 < len(columns) else ncols - 1
        bounds.append((round(edges[c][0], 2), round(edges[end][1], 2)))
    box = (round(bbox[0], 2), round(bbox[1], 2), round(bbox[2], 2), round(bbox[3], 2))
    table = PageTable(rows=cells, bbox=box, header_rows=header, columns=bounds, kind=kind)
    return Found(table, [word for span in spans for word in span.words])
