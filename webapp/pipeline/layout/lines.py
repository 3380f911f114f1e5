"""Group a page's words into lines: words that share a baseline band, split where the gap is wider than a space.

A gap of more than ``SPLIT_GAP_EM`` times the font size ends a line even on the same baseline: that is a column
gutter or a table's cell boundary, never a space between two words of a sentence (justified text stretches its
spaces to about half an em at most).
"""

from __future__ import annotations

import re

from webapp.pipeline.layout.model import Line, Word
from webapp.pipeline.layout.stretched import rejoin_stretched

SPLIT_GAP_EM = 0.9
# A word joins a line when this share of its height overlaps the line's band.
MIN_OVERLAP = 0.5
# A word grows its band only when its centre is this share of the band's height from the band's centre, at most.
CENTRE_SHIFT = 0.3
# A justified line's stretched spaces: at least this many equal gaps in a row, none wider than this many ems.
JUSTIFIED_RUN = 2
MAX_STRETCH_EM = 1.6
_LETTERS = re.compile(r"[^\W\d_]{2}")


def page_lines(words: list[Word]) -> list[Line]:
    """Lines top to bottom, and left to right within one baseline band."""
    rows: list[list[Line]] = []
    for wide in _bands(words):
        for band in _unstacked(wide):
            band.sort(key=lambda word: word.x0)
            rows.append(split_line(band))
    lines = rejoin_stretched(rows)
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
        # The band keeps the height of its first words, so a tall word does not swallow the next line; nor does
        # a word off its centre (a heading in the next column on another baseline), which would chain the band to
        # the next line of this column.
        top, bottom = tops[best], bottoms[best]
        off = (y0 + y1 - top - bottom) / 2
        if height <= 1.5 * (bottom - top) and -CENTRE_SHIFT * (bottom - top) <= off <= CENTRE_SHIFT * (bottom - top):
            if y0 < tops[best]:
                tops[best] = y0
            if y1 > bottoms[best]:
                bottoms[best] = y1
    return bands


def _unstacked(band: list[Word]) -> list[list[Word]]:
    """A band opened by a tall word (a heading beside a column of body text) can take two body lines of another
    column, one under the other: such a band is cut into the stacks of its ordinary words, each tall word going
    with the stack it overlaps most."""
    if len(band) < 2:
        return [band]
    first = band[0]
    top, bottom, low = first.y0, first.y1, first.y1 - first.y0
    for word in band:  # the hot path (every band of every page): plain comparisons
        top = word.y0 if word.y0 < top else top
        bottom = word.y1 if word.y1 > bottom else bottom
        low = word.y1 - word.y0 if word.y1 - word.y0 < low else low
    if bottom - top <= 1.6 * low:
        return [band]
    heights = sorted(word.y1 - word.y0 for word in band)
    usual = heights[len(heights) // 2]
    if bottom - top <= 1.6 * usual or usual <= 0:
        return [band]
    stacks: list[list[Word]] = []
    spans: list[list[float]] = []
    tall: list[Word] = []
    for word in sorted(band, key=_centre):
        if not 0.8 * usual <= word.y1 - word.y0 <= 1.25 * usual:
            tall.append(word)
        elif spans and min(spans[-1][1], word.y1) - max(spans[-1][0], word.y0) >= MIN_OVERLAP * usual:
            stacks[-1].append(word)
            spans[-1][1] = max(spans[-1][1], word.y1)
        else:
            stacks.append([word])
            spans.append([word.y0, word.y1])
    if len(stacks) < 2:
        return [band]
    for word in tall:
        best = max(range(len(stacks)), key=lambda k: min(spans[k][1], word.y1) - max(spans[k][0], word.y0))
        stacks[best].append(word)
    return stacks


def _centre(word: Word) -> float:
    return word.y0 + word.y1


def split_line(words: list[Word]) -> list[Line]:
    """Words of one band, sorted by x, cut where a gap is wider than ``SPLIT_GAP_EM`` of the font size, unless
    the gap is one of a justified line's stretched spaces (``_justified``)."""
    lines: list[Line] = []
    current: list[Word] = []
    stretched: set[int] = set()
    for index, word in enumerate(words):
        if current:
            previous = current[-1]
            em = max(min(previous.size, word.size), 1.0)
            if word.x0 - previous.x1 > SPLIT_GAP_EM * em:
                if not stretched:
                    stretched = _justified(words)
                if index not in stretched:
                    lines.append(make_line(current))
                    current = []
        current.append(word)
    if current:
        lines.append(make_line(current))
    return lines


def _justified(words: list[Word]) -> set[int]:
    """Indexes of the words after a wide gap that is a justified line's stretched space, not a gutter or a cell
    boundary: a narrow justified column spreads its few words with equal gaps of an em or more. A run of at least
    ``JUSTIFIED_RUN`` equal gaps (within half a point; a sentence end may add half again) between words of letters,
    none wider than ``MAX_STRETCH_EM``, is such a line; a gutter or a table's columns break the run.
    """
    found = {-1}  # never empty, so the caller computes this once per band
    start = 0
    for end in range(1, len(words) + 1):
        if end < len(words) and _same_stretch(words, start, end):
            continue
        last = _trusted_end(words, start, end)
        if last - start - 1 >= JUSTIFIED_RUN and all(_LETTERS.search(w.text) for w in words[start:last]):
            found.update(range(start + 1, last))
        start = end
    return found


def _trusted_end(words: list[Word], start: int, end: int) -> int:
    """The end of the run ``words[start:end]`` without its last word when a wider gap after a sentence's end led
    to it and the run stops short of the band's end: that was the gutter, the word the next column's."""
    if end == len(words) or end - start < 3:
        return end
    first = words[start + 1].x0 - words[start].x1
    if words[end - 1].x0 - words[end - 2].x1 > first + 0.5:
        return end - 1
    return end


def _same_stretch(words: list[Word], start: int, end: int) -> bool:
    """Whether the gap before ``words[end]`` is as wide as the first gap of the run that begins at ``start``."""
    if end == start + 1:
        gap = words[end].x0 - words[start].x1
        return 0 < gap <= MAX_STRETCH_EM * max(words[start].size, 1.0)
    first = words[start + 1].x0 - words[start].x1
    gap = words[end].x0 - words[end - 1].x1
    if words[end - 1].text.endswith((".", "!", "?", ":", ";")):
        return first - 0.5 <= gap <= 1.5 * first + 0.5
    return abs(gap - first) <= 0.5 and abs(words[end].size - words[start].size) < 0.5


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
