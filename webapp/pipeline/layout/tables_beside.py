"""Running text beside a run of figures: the page's other column of prose, or a column between two tables, that
the rows of a rule-less table would otherwise take for a column of cells (``tables_aligned``).
"""

from __future__ import annotations

from webapp.pipeline.layout.model import Line
from webapp.pipeline.layout.tables_common import is_numeric
from webapp.pipeline.layout.tables_text import Band

# Running text beside a table has at least this many words on most of its lines.
MIN_PROSE_WORDS = 4


def prose_beside(
    bands: list[Band], first: int, last: int, ranges: list[tuple[float, float]]
) -> tuple[float, float] | None:
    """The span (x0, x1) of a column of the run that is running text, the page's other column beside the
    figures or between two tables: text goes on in it just above or below the run, and its lines beside the
    figures are prose (or a lone heading); the first and last columns are looked at first."""
    ranges = _with_outer(bands[first : last + 1], ranges)
    if len(ranges) < 3:
        return None
    order = [0, len(ranges) - 1, *range(1, len(ranges) - 1)]
    for index in order:
        # A line of that column may reach beyond the figures' edges, never into the next column.
        low = ranges[index - 1][1] + 1 if index > 0 else float("-inf")
        high = ranges[index + 1][0] - 1 if index + 1 < len(ranges) else float("inf")
        column = ranges[index]
        per_band = [
            [
                line
                for line in band.lines
                if low <= line.x0 <= line.x1 <= high and line.x0 <= column[1] and line.x1 >= column[0]
            ]
            for band in bands[first : last + 1]
        ]
        inside = [line for lines in per_band for line in lines]
        if not inside:
            continue
        if _stacked(per_band) >= 2 and _plain_words(inside) or _running_text(bands, first, last, inside, (low, high)):
            return min(line.x0 for line in inside) - 0.5, max(line.x1 for line in inside) + 0.5
    return None


def _running_text(bands: list[Band], first: int, last: int, inside: list[Line], room: tuple[float, float]) -> bool:
    """Text in the column just above and just below the run is the page's other column, whatever its lines look
    like beside the run (the ends of list items, a heading); so is prose, or a lone line of words (a heading of
    the other column), with the text going on above or below."""
    width = max(line.x1 for line in inside) - min(line.x0 for line in inside)
    above = any(_goes_on(bands, index, room, width) for index in (first - 1, first - 2))
    below = any(_goes_on(bands, index, room, width) for index in (last + 1, last + 2))
    worded = sum(1 for line in inside if len(line.words) >= 3) >= min(2, len(inside) - 1)
    lone = len(inside) == 1 and not any(is_numeric([word]) for word in inside[0].words)
    if above and below and len(inside) >= 2 and worded:
        return True
    prose = _prose(inside, width)
    if prose and not (above or below):
        # A narrow column's lines hold two or three words: going on both above and below, they are text too.
        above = any(_goes_on(bands, index, room, width, 2) for index in (first - 1, first - 2))
        below = any(_goes_on(bands, index, room, width, 2) for index in (last + 1, last + 2))
        return above and below
    return (lone or prose) and (above or below)


def _stacked(per_band: list[list[Line]]) -> int:
    """How many lines sit under another line of the same column within one band of the run: a column set at its
    own leading, denser than the table's rows, is the page's text beside the table, not a column of cells."""
    count = 0
    for lines in per_band:
        ordered = sorted(lines, key=lambda line: line.y0)
        count += sum(1 for a, b in zip(ordered, ordered[1:], strict=False) if b.y0 >= a.y1 - 0.2 * a.height)
    return count


def _plain_words(lines: list[Line]) -> bool:
    """Lines of words, hardly a figure, none repeated: text rather than cells of figures."""
    words = sorted(len(line.words) for line in lines)
    figures = sum(1 for line in lines for word in line.words if is_numeric([word]))
    return (
        words[len(words) // 2] >= 2
        and figures <= 0.1 * sum(words)
        and len({line.text for line in lines}) >= 0.7 * len(lines)
    )


def _with_outer(bands: list[Band], ranges: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The seeds' columns, with one more on either side for the lines wholly outside them (no figure there)."""
    lines = [line for band in bands for line in band.lines]
    left = [line for line in lines if line.x1 < ranges[0][0]]
    right = [line for line in lines if line.x0 > ranges[-1][1]]
    before = [(min(line.x0 for line in left), max(line.x1 for line in left))] if left else []
    after = [(min(line.x0 for line in right), max(line.x1 for line in right))] if right else []
    return before + ranges + after


def _prose(lines: list[Line], width: float) -> bool:
    """Running text: lines of several words, half of them filling the column (a paragraph's last line, a heading
    and a narrow column's short lines among them), hardly a figure."""
    if len(lines) < 2:
        return False
    words = sorted(len(line.words) for line in lines)
    full = sum(1 for line in lines if line.x1 - line.x0 >= 0.7 * width)
    figures = sum(1 for line in lines for word in line.words if is_numeric([word]))
    # Running text does not repeat itself (a column of "The Nasdaq Stock Market LLC" is a column of cells).
    distinct = len({line.text for line in lines})
    # A narrow column holds fewer words a line, but justified, nearly every line fills it.
    wordy = words[len(words) // 2] >= MIN_PROSE_WORDS or (words[len(words) // 2] >= 2 and full >= 0.8 * len(lines))
    return wordy and full >= 0.5 * len(lines) and figures <= 0.1 * sum(words) and distinct >= 0.7 * len(lines)


def _goes_on(bands: list[Band], index: int, room: tuple[float, float], width: float, words: int = 3) -> bool:
    """A long line of running text (``width`` the column's) within ``room`` in band ``index``, near the run."""
    lines = bands[index].lines if 0 <= index < len(bands) else []
    return any(
        room[0] <= line.x0 and line.x1 <= room[1] and line.x1 - line.x0 >= 0.6 * width and len(line.words) >= words
        for line in lines
    )
