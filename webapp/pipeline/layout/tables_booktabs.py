"""Tables with horizontal rules only (LaTeX booktabs, most journal and report tables): top, header, bottom rule.

Rules of the same extent, stacked, outline a candidate; the stretch between two of them must be framed by them
(no line crosses their ends) and must not be running prose. Columns come from word alignment between the rules
(``tables_text``), rows from bands (``tables_rows``); a rule inside the candidate ends a row, and the first one
(with few lines above it) marks the header. Shorter rules inside (cmidrules, underlined group headers) widen the
header cell above them to the columns they cover.

Not tables: rules under a group of columns of a wider table (most rows go on past the rules' ends: a statement's
underlines), code (a fixed-pitch font), pseudo-code and other numbered listings, two columns of prose, and half a
page of text with no column of figures between a page's running header and footer rules.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from webapp.pipeline.layout.model import Line
from webapp.pipeline.layout.tables_common import CURRENCY, SUFFIX, Found, Span, is_monospace, make_table
from webapp.pipeline.layout.tables_rows import (
    figure_columns,
    group_records,
    implausible,
    mostly_spread,
    spans_of,
    widen_headings,
)
from webapp.pipeline.layout.tables_rules import Segment
from webapp.pipeline.layout.tables_text import Band, Columns, Row, bands_of, body_columns, edges, rows_on, split_figures

# Rules whose two ends are within this many points have the same extent.
EXTENT_TOL = 4.0
# Two rules closer than this with nothing between are one double rule.
DOUBLE_RULE = 4.0
MAX_HEADER_BANDS = 4
# Rules this far apart (share of the page's height) with no header rule between frame a page, unless figures.
PAGE_SHARE = 0.5
# This share of the rows going on past the rules' ends on both sides' baselines: the rules underline columns.
ROWS_GO_ON = 0.6
SIGNS = CURRENCY | SUFFIX


def find_booktabs(lines: list[Line], horizontal: list[Segment], size: float, height: float) -> list[Found]:
    """Tables between stacked rules; ``height`` is the page's (a page's header and footer rules are no table)."""
    if len(horizontal) < 2:
        return []
    tables = []
    index = _LineIndex(split_figures(lines))
    for stack in _stacks(horizontal):
        for region in _regions(stack, index):
            table = _region_table(region, index, horizontal, size, height)
            if table is not None:
                tables.append(table)
    return tables


def _stacks(rules: list[Segment]) -> list[list[Segment]]:
    """Rules grouped by extent (both ends close), each group top to bottom; groups of one left out."""
    step = EXTENT_TOL
    buckets: dict[tuple[int, int], list[Segment]] = {}
    for rule in rules:
        buckets.setdefault((int(rule.start // step), int(rule.end // step)), []).append(rule)
    keys = list(buckets)
    seen: set[tuple[int, int]] = set()
    stacks = []
    for key in keys:
        if key in seen:
            continue
        seen.add(key)
        todo, group = [key], []
        while todo:
            a, b = todo.pop()
            group.extend(buckets[(a, b)])
            for near in ((a + i, b + j) for i in (-1, 0, 1) for j in (-1, 0, 1)):
                if near in buckets and near not in seen:
                    seen.add(near)
                    todo.append(near)
        if len(group) > 1:
            stacks.append(sorted(group, key=lambda s: s.pos))
    return stacks


class _LineIndex:
    """Lines by vertical middle, for taking those between two rules."""

    def __init__(self, lines: list[Line]) -> None:
        self.lines = sorted(lines, key=lambda line: line.y0 + line.y1)
        self._keys = [(line.y0 + line.y1) / 2 for line in self.lines]

    def inside(self, top: float, bottom: float, start: float, end: float) -> list[Line]:
        lines = self.lines[bisect_right(self._keys, top) : bisect_left(self._keys, bottom)]
        return [line for line in lines if line.x1 > start and line.x0 < end]


def _regions(stack: list[Segment], lines: _LineIndex) -> list[list[Segment]]:
    """Runs of consecutive rules of ``stack`` whose stretches between them look like table content."""
    regions: list[list[Segment]] = []
    run: list[Segment] = [stack[0]]
    for upper, lower in zip(stack, stack[1:], strict=False):
        start, end = min(upper.start, lower.start), max(upper.end, lower.end)
        content = lines.inside(upper.pos, lower.pos, start, end)
        if not content and lower.pos - upper.pos <= DOUBLE_RULE:
            run.append(lower)
            continue
        if content and _framed(content, start, end) and not _prose(content, end - start):
            run.append(lower)
            continue
        if len(run) > 1:
            regions.append(run)
        run = [lower]
    if len(run) > 1:
        regions.append(run)
    return regions


def _side_by_side(content: list[Line]) -> bool:
    """Two lines share a band somewhere (else there is one column at most; a lone "$" is no column);
    ``content`` is by middle."""
    lines = [line for line in content if not (len(line.words) == 1 and line.words[0].text in SIGNS)]
    return any(line.y0 + line.y1 <= 2 * previous.y1 for previous, line in zip(lines, lines[1:], strict=False))


def _rows_go_on(bands: list[Band], everything: list[Line], start: float, end: float) -> bool:
    """Most rows carry on past the rules' ends on the same baselines (labels to the left, more figures to the
    right): the rules underline a group of columns of a wider table, they do not frame a table."""
    # Baselines must match to a point: the prose of a page's other column (a table set in a column of a
    # two-column paper) may share the band of a row but hardly ever its baseline, all down the table.
    outside = [line.y1 for line in everything if line.x1 <= start or line.x0 >= end]
    if not outside:
        return False
    going_on = sum(1 for band in bands if any(abs(line.y1 - y) <= 1.0 for line in band.lines for y in outside))
    return going_on >= ROWS_GO_ON * len(bands)


def _framed(content: list[Line], start: float, end: float) -> bool:
    """No line sticks out past the rules' ends (then the rules underline part of something wider)."""
    return all(line.x0 >= start - 0.5 * line.size and line.x1 <= end + 0.5 * line.size for line in content)


def _prose(content: list[Line], width: float) -> bool:
    """Running text: several bands, nearly all a single line most of the rules' width long."""
    if len(content) < 3:
        return False
    bands = bands_of(content)
    if len(bands) < 3:
        return False
    full = sum(1 for band in bands if len(band.lines) == 1 and band.lines[0].x1 - band.lines[0].x0 >= 0.7 * width)
    return full >= 0.8 * len(bands)


def _region_table(
    region: list[Segment], lines: _LineIndex, rules: list[Segment], size: float, height: float
) -> Found | None:
    top, bottom = region[0].pos, region[-1].pos
    start, end = min(r.start for r in region), max(r.end for r in region)
    content = lines.inside(top, bottom, start, end)
    if not _side_by_side(content) or is_monospace([w for line in content for w in line.words]):
        return None
    bands = bands_of(content)
    if _rows_go_on(bands, lines.inside(top, bottom, -1e9, 1e9), start, end):
        return None
    breaks = [r.pos for r in region[1:-1] if r.pos - top > 1.0 and bottom - r.pos > 1.0]
    split = 0
    if breaks:
        split = sum(1 for band in bands if band.y1 <= breaks[0] + 0.5)
        if split > MAX_HEADER_BANDS or split >= len(bands):
            split = 0
    hints = [r for r in rules if top < r.pos < bottom and r.end - r.start < 0.9 * (end - start)]
    # Half a page of text between two rules with no rule under a header and no column of figures: the page's
    # running header and footer rules around its body (a margin-note layout, a list), not a table.
    framed_page = bottom - top > PAGE_SHARE * height and not split
    # The box reaches the words too where a heading overhangs the rules' ends a little.
    box = (min(start, min(line.x0 for line in content)), top, max(end, max(line.x1 for line in content)), bottom)
    return _build(bands, split, breaks, hints, box, size, framed_page)


def _build(
    bands: list[Band], split: int, breaks: list[float], hints: list[Segment],
    box: tuple[float, float, float, float], size: float, framed_page: bool,
) -> Found | None:  # fmt: skip
    columns = Columns(*body_columns(bands[split:]), hints)
    if len(columns) < 2:
        return None
    heading = rows_on(bands[:split], columns)
    widen_headings(heading)
    header = group_records(heading, [], len(columns), size, header=True)
    body = group_records(rows_on(bands[split:], columns), breaks, len(columns), size)
    if not body or len(header) + len(body) < 2 or _two_prose_columns(body) or mostly_spread(body):
        return None
    spans: list[Span] = spans_of(header + body)
    if implausible(spans, len(header) + len(body), len(columns)):
        return None
    if framed_page and not figure_columns(spans, len(columns)):
        return None
    return make_table(spans, len(header) + len(body), edges(columns, box[0], box[2]), box, "booktabs", len(header))


def _two_prose_columns(records: list[list[Row]]) -> bool:
    """Two or more columns of running text side by side: an article's columns between two rules."""
    lengths: dict[int, list[int]] = {}
    for record in records:
        for row in record:
            for piece in row.pieces:
                lengths.setdefault(piece.left, []).append(len(piece.words))
    wordy = [c for c, counts in lengths.items() if sorted(counts)[len(counts) // 2] >= 5]
    return len(wordy) >= 2 and len(wordy) == len(lengths)
