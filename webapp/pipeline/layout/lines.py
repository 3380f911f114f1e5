"""Group a page's words into lines: words that share a baseline band, split where the gap is wider than a space.

A gap of more than ``SPLIT_GAP_EM`` times the font size ends a line even on the same baseline: that is a column
gutter or a table's cell boundary, never a space between two words of a sentence (justified text stretches its
spaces to about half an em at most).
"""

from __future__ import annotations

from collections import Counter

from webapp.pipeline.layout.model import Line, Word

SPLIT_GAP_EM = 0.9
# A word joins a line when this share of its height overlaps the line's band.
MIN_OVERLAP = 0.5


def page_lines(words: list[Word]) -> list[Line]:
    """Lines top to bottom, and left to right within one baseline band."""
    bands = _bands(words)
    lines: list[Line] = []
    for band in bands:
        band.sort(key=lambda word: word.x0)
        lines.extend(split_line(band))
    lines.sort(key=lambda line: (round(line.y0, 1), line.x0))
    return lines


def _bands(words: list[Word]) -> list[list[Word]]:
    """Words grouped by vertical overlap; a word goes to the band it overlaps most (of the last few open)."""
    ordered = sorted(words, key=lambda word: (word.y0 + word.y1) / 2)
    bands: list[list[Word]] = []
    extents: list[list[float]] = []  # per band: [y0, y1]
    for word in ordered:
        height = max(word.y1 - word.y0, 0.1)
        best = -1
        best_overlap = 0.0
        # Only the most recent bands can overlap a word taken in order of its centre.
        for index in range(len(bands) - 1, max(len(bands) - 4, -1), -1):
            top, bottom = extents[index]
            overlap = min(bottom, word.y1) - max(top, word.y0)
            if overlap >= MIN_OVERLAP * min(height, bottom - top) and overlap > best_overlap:
                best, best_overlap = index, overlap
        if best < 0:
            bands.append([word])
            extents.append([word.y0, word.y1])
        else:
            bands[best].append(word)
            extent = extents[best]
            # The band keeps the height of its first words, so a tall word does not swallow the next line.
            extent[0] = min(extent[0], word.y0) if word.y1 - word.y0 <= 1.5 * (extent[1] - extent[0]) else extent[0]
            extent[1] = max(extent[1], word.y1) if word.y1 - word.y0 <= 1.5 * (extent[1] - extent[0]) else extent[1]
    return bands


def split_line(words: list[Word]) -> list[Line]:
    """Words of one band, sorted by x, cut where a gap is wider than ``SPLIT_GAP_EM`` of the font size."""
    lines: list[Line] = []
    current: list[Word] = []
    for word in words:
        if current:
            previous = current[-1]
            em = max(min(previous.size, word.size), 1.0)
            if word.x0 - previous.x1 > SPLIT_GAP_EM * em:
                lines.append(make_line(current))
                current = []
        current.append(word)
    if current:
        lines.append(make_line(current))
    return lines


def make_line(words: list[Word]) -> Line:
    sizes: Counter[float] = Counter()
    for word in words:
        sizes[round(word.size, 1)] += len(word.text)
    return Line(
        words=words,
        x0=min(word.x0 for word in words),
        y0=min(word.y0 for word in words),
        x1=max(word.x1 for word in words),
        y1=max(word.y1 for word in words),
        size=sizes.most_common(1)[0][0],
        bold=all(word.bold for word in words if word.text.strip(".:;,")),
    )
