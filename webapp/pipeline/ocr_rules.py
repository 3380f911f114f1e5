"""Ruling lines (table borders, rules under headings) found in a page image, for layout analysis of scans; and
turning boxes between a page as displayed and as read upright (a scan Tesseract read turned).

A rule is a long, thin, nearly solid run of ink. The image is shrunk so its longer side is at most
``WORK_SIDE`` pixels (Pillow's box filter keeps a one-pixel black line as mid-gray, still ink), thresholded
against the paper's colour, and every row (then every column) is scanned with a sliding window (Pillow's box
blur along one axis): where at least ``SOLID_SHARE`` of a window of the minimum rule length is ink, that stretch
is part of a rule. Stretches in neighbouring rows join into one line, so a rule a few pixels thick, slightly
skewed (about 2 degrees at most) or broken by a scanning dropout is still one rule. A component too thick for its
length is a filled area or a letter's stroke, and one with ink right beside it is the serifs or the x-height of a
line of text: both are dropped. An underline passes, and may be taken for a rule; the strokes of a large heading
("TT" bars) may too, and ``drop_text_strokes`` removes those lying inside one OCR word.

Pillow only (no numpy: its import and its BLAS threads would cost every sandboxed child ~100 MB of address space
for nothing). Measured on 2 cores: ~18 ms for a 2480 x 3508 page (A4 at 300 dpi), ~6 ms for a 2000-pixel one.
"""

from __future__ import annotations

import math

from PIL import Image, ImageChops, ImageFilter

from webapp.pipeline.layout.model import RULE_MAX_THICKNESS, Rule, Word

# The image is shrunk by a whole factor until its longer side is at most this; A4 at 300 dpi is halved.
WORK_SIDE = 1800
# A rule is at least this share of the page's shorter side long, and never shorter than MIN_LENGTH_PX.
MIN_LENGTH_SHARE = 0.03
MIN_LENGTH_PX = 40
# ...and at most this share of the shorter side thick (never less than MIN_THICKNESS_PX allowed).
MAX_THICKNESS_SHARE = 0.01
MIN_THICKNESS_PX = 3
# Share of any window of the minimum length that must be ink: tolerates small breaks, not dotted leaders.
SOLID_SHARE = 0.9
# Longer than thick by at least this: a heading's letter bars and filled boxes are not.
MIN_ASPECT = 12.0
# At most this share of ink in the rows just beside a rule: serifs on a baseline have stems beside them.
SIDE_INK_SHARE = 0.3
# Ink differs from the paper (the commonest gray level) by at least this: light fills (Excel's 15 % gray
# header band) are not ink; a one-pixel black line halved by the shrinking still is.
INK_CONTRAST = 40

Segment = tuple[int, int, int]  # row, start, end (exclusive), in the shrunk image


def find_rules(image: Image.Image, dpi: float) -> list[Rule]:
    """Horizontal and vertical rules in ``image`` (any mode), in points at ``dpi``, origin top-left.

    A rule is returned as its centre line with its measured thickness, capped at ``RULE_MAX_THICKNESS`` so a
    heavy border in a low-resolution screenshot is still taken for a line, not a filled area.
    """
    gray = image if image.mode == "L" else image.convert("L")
    width, height = gray.size
    shorter = min(width, height)
    if shorter < MIN_LENGTH_PX:
        return []
    factor = max(1, math.ceil(max(width, height) / WORK_SIDE))
    ink = ink_mask(gray.reduce(factor) if factor > 1 else gray)
    length = math.ceil(max(MIN_LENGTH_PX, MIN_LENGTH_SHARE * shorter) / factor)
    max_thickness = max(MIN_THICKNESS_PX, MAX_THICKNESS_SHARE * shorter) / factor
    rules = []
    for vertical, mask in ((False, ink), (True, ink.transpose(Image.Transpose.TRANSPOSE))):
        for start, end, middle, thickness in _lines(mask, length, max_thickness):
            rules.append(_rule(vertical, start * factor, end * factor, middle * factor, thickness * factor, dpi))
    return rules


def ink_mask(image: Image.Image) -> Image.Image:
    """255 where a pixel is clearly darker than the paper (lighter, on a dark-mode screenshot), else 0."""
    gray = image if image.mode == "L" else image.convert("L")
    # The paper is the commonest gray level; a quarter-size copy tells it as well as every pixel.
    histogram = (gray.reduce(4) if min(gray.size) >= 16 else gray).histogram()
    paper = max(range(256), key=histogram.__getitem__)
    if paper >= 128:
        return gray.point([255 if value < paper - INK_CONTRAST else 0 for value in range(256)])
    return gray.point([255 if value > paper + INK_CONTRAST else 0 for value in range(256)])


def _lines(mask: Image.Image, length: int, max_thickness: float) -> list[tuple[float, float, float, float]]:
    """Rules along the rows of ``mask`` (255 = ink): (start, end, centre row, thickness), in its pixels."""
    width, height = mask.size
    if width < length or height < 2:
        return []
    # A line stepping one row (skew, or a thin line split between two rows by the shrinking) stays solid in
    # the OR of neighbouring rows; it adds one row to every thickness, taken off below.
    merged = ImageChops.lighter(mask, ImageChops.offset(mask, 0, -1)).crop((0, 0, width, height - 1))
    radius = length // 2
    window = 2 * radius + 1
    need = math.ceil(SOLID_SHARE * window)
    # Each pixel becomes the share of ink in the window centred on it (Pillow's box blur, one axis only).
    solid = merged.filter(ImageFilter.BoxBlur((radius, 0))).point(_at_least(need / window))
    pixels = mask.tobytes()
    found = []
    for group in _components(_segments(solid.tobytes(), width, radius, window - need)):
        start = min(segment[1] for segment in group)
        end = max(segment[2] for segment in group)
        thickness = max(sum(s[2] - s[1] for s in group) / (end - start) - 1.0, 1.0)
        if thickness > max_thickness or end - start < MIN_ASPECT * thickness:
            continue
        top = min(segment[0] for segment in group)
        bottom = max(segment[0] for segment in group) + 2  # the OR'd row covers two rows
        # Two rows off on either side a rule has paper; the serifs along a line of text have the letters' stems
        # on one side (measured: over half ink, against 0-3 % beside table borders).
        if max(_share(pixels, width, height, row, start, end) for row in (top - 2, bottom + 1)) > SIDE_INK_SHARE:
            continue
        found.append((float(start), float(end), (top + bottom) / 2, thickness))
    return found


def _share(pixels: bytes, width: int, height: int, row: int, start: int, end: int) -> float:
    """The share of ink in ``row`` from ``start`` to ``end`` (none beyond the image)."""
    if not 0 <= row < height:
        return 0.0
    return pixels.count(255, row * width + start, row * width + end) / (end - start)


def _at_least(share: float) -> list[int]:
    level = 255 * share - 0.5  # the blur rounds
    return [255 if value >= level else 0 for value in range(256)]


def _segments(solid: bytes, width: int, radius: int, slack: int) -> list[Segment]:
    """Runs of solid window centres per row, as the stretch of ink they cover.

    A window centred on x covers x - radius to x + radius and is solid with up to ``slack`` pixels missing, so a
    run of ink [a, b) makes the centres from a + radius - slack to b - radius + slack solid: the stretch is the
    run of centres widened by radius - slack each way. ``bytes.find`` skips the rows without ink in C.
    """
    segments = []
    position = solid.find(255)
    while position >= 0:
        row, start = divmod(position, width)
        row_end = (row + 1) * width
        end = solid.find(0, position, row_end)
        end = row_end if end < 0 else end
        widen = radius - slack
        segments.append((row, max(start - widen, 0), min(end - row * width + widen, width)))
        position = solid.find(255, end)
    return segments


def _components(segments: list[Segment]) -> list[list[Segment]]:
    """Segments joined when they lie in the same or the next row and overlap or nearly touch along the row."""
    groups: list[list[Segment]] = []
    # Per open group: its last row and the span [start, end) of its segments in that row and the row before.
    open_groups: list[tuple[int, int, int, int]] = []  # (group index, last row, start, end)
    for segment in segments:
        row, start, end = segment
        gap = max(2, (end - start) // 20)
        open_groups = [entry for entry in open_groups if entry[1] >= row - 1]
        joined = -1
        for position, (index, _, group_start, group_end) in enumerate(open_groups):
            if start <= group_end + gap and end >= group_start - gap:
                joined = index
                open_groups[position] = (index, row, min(start, group_start), max(end, group_end))
                break
        if joined < 0:
            groups.append([segment])
            open_groups.append((len(groups) - 1, row, start, end))
        else:
            groups[joined].append(segment)
    return groups


def _rule(vertical: bool, start: float, end: float, middle: float, thickness: float, dpi: float) -> Rule:
    """A rule from full-resolution pixels to points."""
    scale = 72.0 / dpi
    half = min(thickness * scale, RULE_MAX_THICKNESS) / 2
    a0, a1, centre = start * scale, end * scale, middle * scale
    if vertical:
        return Rule(centre - half, a0, centre + half, a1)
    return Rule(a0, centre - half, a1, centre + half)


def drop_text_strokes(rules: list[Rule], words: list[Word]) -> list[Rule]:
    """The rules that are no stroke of a word: a large heading's "T" or "l" is a thin dark bar too, while no
    table border or underline lies within one word's box."""
    return [rule for rule in rules if not any(_inside(rule, word) for word in words)]


def _inside(rule: Rule, word: Word) -> bool:
    margin = 0.2 * (word.y1 - word.y0)
    return (
        rule.x0 >= word.x0 - margin
        and rule.x1 <= word.x1 + margin
        and rule.y0 >= word.y0 - margin
        and rule.y1 <= word.y1 + margin
    )


def turn_box(box: Rule, degrees: int, width: float, height: float) -> Rule:
    """``box`` in a ``width`` x ``height`` frame, after turning the frame ``degrees`` clockwise (0/90/180/270)."""
    x0, y0, x1, y1 = box.x0, box.y0, box.x1, box.y1
    if degrees == 90:
        x0, y0, x1, y1 = height - y1, x0, height - y0, x1
    elif degrees == 180:
        x0, y0, x1, y1 = width - x1, height - y1, width - x0, height - y0
    elif degrees == 270:
        x0, y0, x1, y1 = y0, width - x1, y1, width - x0
    return Rule(x0, y0, x1, y1)


def displayed_bbox(
    bbox: tuple[float, float, float, float], rotation: int, width: float, height: float
) -> tuple[float, float, float, float]:
    """A box found on an upright OCR page (``ocr.ocr_page_input``) on the page as displayed.

    ``rotation`` is the page's (degrees clockwise it was turned to be read), ``width`` x ``height`` its upright
    size, as in its ``PageInput``; the result is in the displayed page's frame.
    """
    turned = turn_box(Rule(*bbox), (360 - rotation) % 360, width, height)
    return (turned.x0, turned.y0, turned.x1, turned.y1)
