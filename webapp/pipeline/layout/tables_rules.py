"""Ruling lines cleaned up for table finding: horizontal and vertical segments, snapped and joined.

A PDF often draws one visible rule as many pieces (one per cell, or a dashed line), and a scan's line detector
gives slightly slanted, broken lines. Positions within ``snap`` points are taken for one line (their
length-weighted mean); collinear pieces with gaps up to ``join`` points become one segment. OCR pages get wider
tolerances than text layers, whose coordinates are exact.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from webapp.pipeline.layout.model import RULE_MAX_THICKNESS, PageInput

# Text layer: rules are exact, but a cell border is often drawn a hair off its neighbour's.
SNAP_TEXT, JOIN_TEXT, TOUCH_TEXT = 2.0, 3.0, 3.0
# OCR: detected lines drift by a point or two and break where a glyph touches them.
SNAP_OCR, JOIN_OCR, TOUCH_OCR = 3.0, 6.0, 5.0
MIN_LENGTH = 4.0
# A scan's slanted line has a taller box than a drawn one.
OCR_MAX_THICKNESS = 6.0


@dataclass(slots=True)
class Segment:
    """A horizontal (``pos`` = y) or vertical (``pos`` = x) rule from ``start`` to ``end`` along its length."""

    pos: float
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(slots=True)
class Tolerances:
    snap: float
    join: float
    touch: float

    @classmethod
    def for_page(cls, page: PageInput) -> Tolerances:
        if page.source == "ocr":
            return cls(SNAP_OCR, JOIN_OCR, TOUCH_OCR)
        return cls(SNAP_TEXT, JOIN_TEXT, TOUCH_TEXT)


def page_segments(page: PageInput, tol: Tolerances) -> tuple[list[Segment], list[Segment]]:
    """(horizontal, vertical) segments of the page's rules, snapped and joined; boxes that are no lines are left
    out (a cell's shading is not a border)."""
    thickest = OCR_MAX_THICKNESS if page.source == "ocr" else RULE_MAX_THICKNESS
    horizontal: list[Segment] = []
    vertical: list[Segment] = []
    for rule in page.rules:
        width, height = rule.x1 - rule.x0, rule.y1 - rule.y0
        if width >= 3 * height and height <= thickest and width >= MIN_LENGTH / 2:
            horizontal.append(Segment((rule.y0 + rule.y1) / 2, rule.x0, rule.x1))
        elif height >= 3 * width and width <= thickest and height >= MIN_LENGTH / 2:
            vertical.append(Segment((rule.x0 + rule.x1) / 2, rule.y0, rule.y1))
    return _clean(horizontal, tol), _clean(vertical, tol)


def _clean(segments: list[Segment], tol: Tolerances) -> list[Segment]:
    """Snap positions, join collinear pieces, drop what is still too short to be a border."""
    if not segments:
        return []
    segments.sort(key=lambda s: s.pos)
    groups: list[list[Segment]] = [[segments[0]]]
    for segment in segments[1:]:
        if segment.pos - groups[-1][-1].pos <= tol.snap and segment.pos - groups[-1][0].pos <= 2 * tol.snap:
            groups[-1].append(segment)
        else:
            groups.append([segment])
    merged: list[Segment] = []
    for group in groups:
        total = sum(max(s.length, 0.1) for s in group)
        pos = sum(s.pos * max(s.length, 0.1) for s in group) / total
        group.sort(key=lambda s: s.start)
        current = Segment(pos, group[0].start, group[0].end)
        for segment in group[1:]:
            if segment.start <= current.end + tol.join:
                current.end = max(current.end, segment.end)
            else:
                merged.append(current)
                current = Segment(pos, segment.start, segment.end)
        merged.append(current)
    return [s for s in merged if s.length >= MIN_LENGTH]


def crossings(horizontal: list[Segment], vertical: list[Segment], touch: float) -> list[tuple[int, int]]:
    """Pairs (h, v) of segments that meet or cross, allowing ``touch`` points of slack at the ends."""
    order = sorted(range(len(vertical)), key=lambda j: vertical[j].pos)
    xs = [vertical[j].pos for j in order]
    pairs = []
    for i, h in enumerate(horizontal):
        for k in range(bisect_left(xs, h.start - touch), bisect_right(xs, h.end + touch)):
            v = vertical[order[k]]
            if v.start - touch <= h.pos <= v.end + touch:
                pairs.append((i, order[k]))
    return pairs


def components(count: int, pairs: list[tuple[int, int]], singles: bool = False) -> list[list[int]]:
    """Connected groups of ``count`` nodes joined by ``pairs`` (union-find); singletons only if ``singles``."""
    parent = list(range(count))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for node in range(count):
        groups.setdefault(root(node), []).append(node)
    return [group for group in groups.values() if singles or len(group) > 1]


def coverage(segments: list[Segment], start: float, end: float) -> float:
    """Share of [start, end] covered by ``segments`` (assumed not to overlap each other much)."""
    if end <= start:
        return 1.0
    covered = sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in segments)
    return min(1.0, covered / (end - start))
