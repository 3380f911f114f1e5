"""Justified lines stretched so wide that ``split_line`` cut them: a narrow justified column spreads a line of two
or three words over its whole width, with gaps of two ems and more ("planned          account").

Such a line's pieces are rejoined when together they span exactly what a nearby line of the same paragraph spans
(the column's left and right edge: justified text ends flush on both sides) and every gap between its words is
about as wide as every other (justification spreads them equally). A column gutter fails the second test: the
lines on either side of it keep their ordinary spaces, far narrower than the gutter.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from webapp.pipeline.layout.model import Line, Word

# How far (in line heights) above and below a cut line to look for a whole line of its paragraph.
REACH_LINES = 4.0
_SENTENCE_END = (".", "!", "?", ":", ";")
_LETTERS = re.compile(r"[^\W\d_]{2}")
_Span = tuple[float, float, float, float, float, bool]  # y0, y1, x0, x1, size, bold


def rejoin_stretched(rows: list[list[Line]]) -> list[Line]:
    """The lines of every row (the pieces of one baseline band, left to right), cut justified lines made whole."""
    cut = [k for k, row in enumerate(rows) if len(row) > 1 and _wordy(row)]
    if not cut:
        return [line for row in rows for line in row]
    spans = sorted(_span(line) for row in rows for line in row)
    tops = [span[0] for span in spans]
    joined: list[_Span] = []
    for k in sorted(cut, key=lambda k: rows[k][0].y0):
        row = rows[k]
        near = _near(spans, tops, row) + joined
        rows[k] = _rejoin_row(row, near)
        joined.extend(_span(line) for line in rows[k] if line not in row)
    return [line for row in rows for line in row]


def _span(line: Line) -> _Span:
    return line.y0, line.y1, line.x0, line.x1, line.size, line.bold


def _wordy(row: list[Line]) -> bool:
    return sum(1 for line in row if _LETTERS.search(line.text)) >= 2


def _near(spans: list[_Span], tops: list[float], row: list[Line]) -> list[_Span]:
    y0, y1 = min(line.y0 for line in row), max(line.y1 for line in row)
    reach = REACH_LINES * (y1 - y0)
    found = spans[bisect_left(tops, y0 - reach) : bisect_right(tops, y1 + reach)]
    return [span for span in found if span[1] <= y0 or span[0] >= y1]


def _rejoin_row(row: list[Line], near: list[_Span]) -> list[Line]:
    result: list[Line] = []
    start = 0
    while start < len(row):
        end = next((end for end in range(len(row) - 1, start, -1) if _whole(row[start : end + 1], near)), start)
        result.append(_merge(row[start : end + 1]) if end > start else row[start])
        start = end + 1
    return result


def _whole(pieces: list[Line], near: list[_Span]) -> bool:
    """Whether ``pieces`` are one stretched justified line: words of letters in one style, gaps all alike, and a
    nearby line of the same style spanning the same width (a table's bold header under its caption is no such
    line)."""
    first, last = pieces[0], pieces[-1]
    size = first.size
    if any(abs(p.size - size) > 0.5 or p.bold != first.bold or not _LETTERS.search(p.text) for p in pieces):
        return False
    words = [word for piece in pieces for word in piece.words]
    if not _even(words):
        return False
    tolerance = max(1.0, 0.1 * size)
    return any(
        abs(x0 - first.x0) <= tolerance
        and abs(x1 - last.x1) <= tolerance
        and abs(span_size - size) <= 0.5
        and bold == first.bold
        for _, _, x0, x1, span_size, bold in near
    )


def _even(words: list[Word]) -> bool:
    """Gaps all alike (a justified line's), a sentence's end allowed half again as wide."""
    gaps = [(b.x0 - a.x1, a.text.endswith(_SENTENCE_END)) for a, b in zip(words, words[1:], strict=False)]
    least = min(gap for gap, _ in gaps)
    if least <= 0:
        return False
    return all(gap <= (1.5 * least + 1.0 if after_end else 1.12 * least + 0.75) for gap, after_end in gaps)


def _merge(pieces: list[Line]) -> Line:
    from webapp.pipeline.layout.lines import make_line

    return make_line([word for piece in pieces for word in piece.words])
