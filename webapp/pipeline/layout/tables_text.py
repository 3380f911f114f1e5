"""Cells from word alignment: bands of lines, columns from the whitespace between them, lines placed on columns.

Used by the tables that are not a full grid (booktabs and whitespace-aligned). Columns are the x-ranges covered
by the body's lines, the gaps between them being the whitespace no body line crosses (the projection camelot's
stream mode and every "text edges" finder use). Header lines are placed on those columns afterwards: a line that
crosses a column gap is a spanning header cell unless a word gap of half an em lines up with the column gap, and
a short rule under a heading (an underline drawn over several columns) widens it to the columns it covers.
Rows are made from the placed bands in ``tables_rows``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from webapp.pipeline.layout.lines import make_line
from webapp.pipeline.layout.model import Line, Word
from webapp.pipeline.layout.tables_common import CURRENCY, SUFFIX, is_numeric, token_kind
from webapp.pipeline.layout.tables_rules import Segment

# A word gap this wide (in em) may separate two header cells that sit closer than a line split (0.9 em).
CELL_GAP_EM = 0.5


@dataclass(slots=True)
class Band:
    """Lines sharing one baseline band, left to right."""

    y0: float
    y1: float
    lines: list[Line]


@dataclass(slots=True)
class Piece:
    """Words placed on columns [left, right)."""

    left: int
    right: int
    words: list[Word]


@dataclass(slots=True)
class Row:
    y0: float
    y1: float
    pieces: list[Piece] = field(default_factory=list)

    def occupied(self) -> set[int]:
        return {c for piece in self.pieces for c in range(piece.left, piece.right)}


def bands_of(lines: list[Line]) -> list[Band]:
    """Lines grouped into bands top to bottom: a line joins the band its middle falls in."""
    ordered = sorted(lines, key=lambda line: line.y0 + line.y1)
    bands: list[Band] = []
    for line in ordered:
        middle = (line.y0 + line.y1) / 2
        if bands and bands[-1].y0 <= middle <= bands[-1].y1:
            band = bands[-1]
            band.lines.append(line)
            band.y0, band.y1 = min(band.y0, line.y0), max(band.y1, line.y1)
        else:
            bands.append(Band(line.y0, line.y1, [line]))
    for band in bands:
        band.lines.sort(key=lambda line: line.x0)
    return bands


FIGURE_START = frozenset("0123456789$€£¥(—–-−.+")


def split_figures(lines: list[Line]) -> list[Line]:
    """Lines cut before a figure or a currency sign that follows a figure: two figures in a row are two cells
    set closer than a line split ("$ (2,768) $ 8,113", "1,879 3,407")."""
    result: list[Line] = []
    for line in lines:
        words = line.words
        cuts = [
            i
            for i in range(1, len(words))
            if words[i].text[:1] in FIGURE_START
            and words[i - 1].text[:1] in FIGURE_START
            and token_kind(words[i - 1].text) in ("num", "nil")
            and token_kind(words[i].text) in ("num", "nil", "cur")
        ]
        if not cuts:
            result.append(line)
            continue
        for a, b in zip([0, *cuts], [*cuts, len(words)], strict=True):
            result.append(make_line(words[a:b]))
    return result


def find_columns(lines: list[Line]) -> list[tuple[float, float]]:
    """The x-ranges covered by ``lines``; the uncovered gaps between them separate the columns."""
    events = sorted([(line.x0, 1) for line in lines] + [(line.x1, -1) for line in lines])
    columns: list[tuple[float, float]] = []
    depth = 0
    start = 0.0
    for x, step in events:
        if depth == 0 and step > 0:
            if columns and x - columns[-1][1] < 1.0:
                start = columns.pop()[0]
            else:
                start = x
        depth += step
        if depth == 0:
            columns.append((start, x))
    return columns


def _sign(words: list[Word]) -> str:
    """ "cur" for a lone currency sign, "suffix" for a lone "%" or ")", else ""."""
    if len(words) == 1:
        text = words[0].text
        return "cur" if text in CURRENCY else "suffix" if text in SUFFIX else ""
    if all(word.text in CURRENCY for word in words):
        return "cur"
    if all(word.text in SUFFIX for word in words):
        return "suffix"
    return ""


def body_columns(bands: list[Band]) -> tuple[list[tuple[float, float]], list[str]]:
    """Columns from the body's bands of two or more lines (a lone line may be a spanning group title), and how
    each is aligned; a column of nothing but currency signs (or "%") is no column: its signs join the figures
    beside them."""
    multi = [band for band in bands if len(band.lines) > 1]
    lines = [line for band in (multi if len(multi) >= 2 else bands) for line in band.lines]
    found = Columns(find_columns(lines), [], [])
    members: list[list[Line]] = [[] for _ in found.ranges]
    for line in lines:
        if not _sign(line.words):
            for j in found.hits(line.x0, line.x1):
                members[j].append(line)
    kept = [j for j, inside in enumerate(members) if inside]
    return [found.ranges[j] for j in kept], [_alignment(members[j]) for j in kept]


def _alignment(lines: list[Line]) -> str:
    """ "left", "right" or "center": which edge the column's lines share."""
    lefts = shared_edge([line.x0 for line in lines], 2.0)
    rights = shared_edge([line.x1 for line in lines], 2.0)
    if rights > lefts:
        return "right"
    if lefts > rights:
        return "left"
    # Both edges shared (figures of one width): figures are set flush right.
    return "right" if all(is_numeric(line.words) for line in lines) else "center"


def shared_edge(edges: list[float], tol: float) -> int:
    """The most ``edges`` within ``tol`` of one another."""
    edges = sorted(edges)
    best, start = 0, 0
    for end, edge in enumerate(edges):
        while edge - edges[start] > tol:
            start += 1
        best = max(best, end - start + 1)
    return best


class Columns:
    """A table's columns (left to right, disjoint), how each is aligned, and the short rules that may widen a
    header cell."""

    def __init__(self, ranges: list[tuple[float, float]], aligns: list[str], hints: list[Segment]) -> None:
        self.ranges = ranges
        self.starts = [a for a, _ in ranges]
        self.ends = [b for _, b in ranges]
        # Each gap between neighbours as (end of the left column, start of the right one).
        self.gaps = list(zip(self.ends, self.starts[1:], strict=False))
        # Where a cell ends within each gap: a right-aligned column's cells reach left across the gap, a
        # left-aligned one's reach right.
        self.cuts = [_cut(j, gap, aligns) for j, gap in enumerate(self.gaps)]
        self.hints = sorted(hints, key=lambda rule: rule.pos)
        self._hint_keys = [rule.pos for rule in self.hints]

    def __len__(self) -> int:
        return len(self.ranges)

    def hits(self, x0: float, x1: float) -> list[int]:
        """Columns overlapping [x0, x1] by more than half a point; else the one whose cell holds its middle."""
        lo, hi = bisect_right(self.ends, x0 + 0.5), bisect_left(self.starts, x1 - 0.5)
        if lo < hi:
            return list(range(lo, hi))
        return [bisect_left(self.cuts, (x0 + x1) / 2)]

    def hints_between(self, top: float, bottom: float) -> list[Segment]:
        return self.hints[bisect_left(self._hint_keys, top) : bisect_right(self._hint_keys, bottom)]


def _cut(index: int, gap: tuple[float, float], aligns: list[str]) -> float:
    if len(aligns) <= index + 1:
        return (gap[0] + gap[1]) / 2
    if aligns[index + 1] == "right":
        return gap[0]
    if aligns[index] == "left":
        return gap[1]
    return (gap[0] + gap[1]) / 2


def edges(columns: Columns, x0: float, x1: float) -> list[tuple[float, float]]:
    """Column edges filling the table's width: the outer ones at its sides, the others where cells end."""
    cuts = [x0, *columns.cuts, x1]
    return list(zip(cuts, cuts[1:], strict=False))


def place(line: Line, columns: Columns, lone: bool = False) -> list[Piece]:
    """A line's words as pieces on ``columns``; a piece crossing a column gap spans the columns it covers."""
    em = max(line.size, 1.0)
    words = line.words
    groups: list[list[Word]] = [words] if len(words) == 1 else _groups(words, columns, em)
    pieces = []
    for group in groups:
        x0, x1 = group[0].x0, group[-1].x1
        sign = _sign(group)
        # A "$" set apart goes with the figure to its right, a hanging "%" or ")" with the one to its left.
        if sign == "cur":
            hits = [min(bisect_left(columns.starts, x0), len(columns) - 1)]
        elif sign == "suffix":
            hits = [max(bisect_right(columns.ends, x1) - 1, 0)]
        else:
            hits = columns.hits(x0, x1)
        left, right = hits[0], hits[-1] + 1
        if right - left == 1 and columns.hints and not sign and not is_numeric(group):
            left, right = _hinted(group, left, right, columns, em, lone)
        pieces.append(Piece(left, right, group))
    return pieces


def _groups(words: list[Word], columns: Columns, em: float) -> list[list[Word]]:
    """Words cut at wide gaps that hold a column boundary: the word before ends before the next column starts,
    the word after starts after the column before ends. A group still running over several columns is cut
    wherever its words keep each to one column (cells set closer than half an em: "Gold 7 ✗ 42.6")."""
    groups: list[list[Word]] = [[words[0]]]
    for previous, word in zip(words, words[1:], strict=False):
        if word.x0 - previous.x1 >= CELL_GAP_EM * em and any(
            previous.x1 <= a + 0.5 and word.x0 >= b - 0.5 for b, a in columns.gaps
        ):
            groups.append([word])
        else:
            groups[-1].append(word)
    return [part for group in groups for part in _by_column(group, columns)]


def _by_column(words: list[Word], columns: Columns) -> list[list[Word]]:
    if len(words) < 2:
        return [words]
    homes = []
    for word in words:
        k = bisect_right(columns.starts, word.x0 + 1.0) - 1
        if k < 0 or word.x1 > columns.ends[k] + 1.0:
            return [words]
        homes.append(k)
    if homes[0] == homes[-1]:
        return [words]
    parts: list[list[Word]] = [[words[0]]]
    for home, before, word in zip(homes[1:], homes[:-1], words[1:], strict=True):
        if home != before:
            parts.append([word])
        else:
            parts[-1].append(word)
    return parts


def _hinted(words: list[Word], left: int, right: int, columns: Columns, em: float, lone: bool) -> tuple[int, int]:
    """Widen a text piece to the columns a rule drawn just under it covers (a spanning header's underline). A
    lone heading's underline may be drawn in pieces, one per column: pieces in line with it count too."""
    x0, x1 = words[0].x0, words[-1].x1
    bottom = max(word.y1 for word in words)
    near = columns.hints_between(bottom - 1.0, bottom + 1.2 * em)
    for rule in near:
        start, end = _chained(near, rule, 1.5 * em) if lone else (rule.start, rule.end)
        # The rule runs under the whole heading, which sits about its middle (not a rule under the header row).
        if start > x0 + 1 or end < x1 - 1 or abs((start + end) - (x0 + x1)) > 0.5 * (end - start):
            continue
        covered = [j for j, (a, b) in enumerate(columns.ranges) if min(end, b) - max(start, a) >= 0.5 * (b - a)]
        if len(covered) > 1 and covered[0] <= left and covered[-1] + 1 >= right:
            return covered[0], covered[-1] + 1
    return left, right


def _chained(rules: list[Segment], rule: Segment, gap: float) -> tuple[float, float]:
    """The extent of ``rule`` and the pieces in line with it, each within ``gap`` of the next."""
    pieces = sorted((r for r in rules if abs(r.pos - rule.pos) <= 1.0), key=lambda r: r.start)
    start, end = rule.start, rule.end
    for piece in reversed(pieces):
        if piece.end < start and start - piece.end <= gap:
            start = piece.start
    for piece in pieces:
        if piece.start > end and piece.start - end <= gap:
            end = piece.end
    return start, end


def rows_on(bands: list[Band], columns: Columns) -> list[Row]:
    rows = []
    for band in bands:
        row = Row(band.y0, band.y1)
        for line in band.lines:
            row.pieces.extend(place(line, columns, lone=len(band.lines) == 1))
        rows.append(row)
    return rows
