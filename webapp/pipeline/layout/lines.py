"""Group a page's words into lines: words that share a baseline band, split where the gap is wider than a space.

A gap of more than ``SPLIT_GAP_EM`` times the font size ends a line even on the same baseline: that is a column
gutter or a table's cell boundary, never a space between two words of a sentence (justified text stretches its
spaces to about half an em at most).
"""

from __future__ import annotations

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
    """Words grouped by vertical overlap; a word goes to the band it overlaps most (of the last few open).

    The hot loop of layout analysis (every word of every page), hence the plain locals and no min()/max() calls.
    """
    ordered = sorted(words, key=_centre)
    bands: list[list[Word]] = []
    tops: list[float] = []
    bottoms: list[float] = []
    for word in ordered:
        y0, y1 = word.y0, word.y1
        height = y1 - y0 if y1 - y0 > 0.1 else 0.1
        best = -1
        best_overlap = 0.0
        count = len(bands)
        # Only the most recent bands can overlap a word taken in order of its centre.
        for index in range(count - 1, count - 4 if count >= 4 else -1, -1):
            top, bottom = tops[index], bottoms[index]
            overlap = (bottom if bottom < y1 else y1) - (top if top > y0 else y0)
            if overlap > best_overlap:
                band_height = bottom - top
                if overlap >= MIN_OVERLAP * (height if height < band_height else band_height):
                    best, best_overlap = index, overlap
        if best < 0:
            bands.append([word])
            tops.append(y0)
            bottoms.append(y1)
            continue
        bands[best].append(word)
        # The band keeps the height of its first words, so a tall word does not swallow the next line.
        if height <= 1.5 * (bottoms[best] - tops[best]):
            if y0 < tops[best]:
                tops[best] = y0
            if y1 > bottoms[best]:
                bottoms[best] = y1
    return bands


def _centre(word: Word) -> float:
    return word.y0 + word.y1


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
    sizes: dict[float, int] = {}
    x0 = y0 = float("inf")
    x1 = y1 = float("-inf")
    bold = True
    for word in words:
        size = word.size
        sizes[size] = sizes.get(size, 0) + len(word.text)
        x0 = word.x0 if word.x0 < x0 else x0
        y0 = word.y0 if word.y0 < y0 else y0
        x1 = word.x1 if word.x1 > x1 else x1
        y1 = word.y1 if word.y1 > y1 else y1
        # Punctuation set in the regular face ("Results:") does not make a bold line regular.
        if bold and not word.bold and word.text.strip(".:;,()"):
            bold = False
    return Line(words, x0, y0, x1, y1, size=round(max(sizes, key=sizes.__getitem__), 1), bold=bold)
