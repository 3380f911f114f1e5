"""Ruling lines of a PDF page (table borders, booktabs rules, underlines) from its path objects.

A thin path is a rule; a stroked path gives its straight horizontal and vertical pieces (rectangle edges, a grid
drawn as one path); a filled area that is not thin gives nothing (cell shading). White or transparent paint is
not a rule. Form XObjects are visited a few levels deep. Pages with too much to look at (vector drawings, plots)
give None rather than seconds of work.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable

import pypdfium2.raw as pdfium_c

from webapp.pipeline.layout.model import RULE_MAX_THICKNESS, Rule
from webapp.pipeline.parsers.pdfium_fast import INT as _I
from webapp.pipeline.parsers.pdfium_fast import POINTER as _P
from webapp.pipeline.parsers.pdfium_fast import fast as _fast

# More path objects than this (a vector drawing, a map) and the page's rules are not read: seconds, for no table.
MAX_PATHS = 5000
# Any objects (text, images, forms' contents) visited before giving up on rules, for the same reason.
MAX_OBJECTS = 50_000
MAX_FORM_DEPTH = 3
# A stroked path with more segments than this is a drawing (a curve, a chart line), not table borders; and more
# segments than MAX_PAGE_SEGMENTS in all make the page a drawing too (plots: every tick and grid line a rule).
MAX_SEGMENTS = 256
MAX_PAGE_SEGMENTS = 5000
# A thin path shorter than this (points) is a dot or a tick, not a rule.
MIN_RULE_LENGTH = 2.0
# Paint with every RGB component at least this light is taken for invisible (white on a white page).
_LIGHT = 224

_count_objects = _fast("FPDFPage_CountObjects", _I, _P)
_page_object = _fast("FPDFPage_GetObject", _P, _P, _I)
_object_type = _fast("FPDFPageObj_GetType", _I, _P)
_bounds = _fast("FPDFPageObj_GetBounds", _I, _P, _P, _P, _P, _P)
_matrix = _fast("FPDFPageObj_GetMatrix", _I, _P, _P)
_stroke_width = _fast("FPDFPageObj_GetStrokeWidth", _I, _P, _P)
_form_count = _fast("FPDFFormObj_CountObjects", _I, _P)
_form_object = _fast("FPDFFormObj_GetObject", _P, _P, ctypes.c_ulong)
_draw_mode = _fast("FPDFPath_GetDrawMode", _I, _P, _P, _P)
_fill_color = _fast("FPDFPageObj_GetFillColor", _I, _P, _P, _P, _P, _P)
_stroke_color = _fast("FPDFPageObj_GetStrokeColor", _I, _P, _P, _P, _P, _P)
_segment_count = _fast("FPDFPath_CountSegments", _I, _P)
_segment = _fast("FPDFPath_GetPathSegment", _P, _P, _I)
_segment_point = _fast("FPDFPathSegment_GetPoint", _I, _P, _P, _P)
_segment_type = _fast("FPDFPathSegment_GetType", _I, _P)
_segment_close = _fast("FPDFPathSegment_GetClose", _I, _P)

_Box = tuple[float, float, float, float]  # x0, y0, x1, y1
_Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, PDF's row-vector convention


# --- rules ---------------------------------------------------------------------------------------------------


class _RuleWalk:
    """Rules found so far, the work left before giving up, and scratch space for PDFium's answers."""

    def __init__(self, view: Callable[..., _Box], width: float, height: float) -> None:
        self.view, self.width, self.height = view, width, height
        self.rules: list[Rule] = []
        self.seen: set[tuple[float, float, float, float]] = set()
        self.paths = self.objects = self.segments = 0
        self.floats = [ctypes.c_float() for _ in range(4)]
        self.addresses = [ctypes.addressof(value) for value in self.floats]
        self.ints = [ctypes.c_uint() for _ in range(4)]
        self.int_addresses = [ctypes.addressof(value) for value in self.ints]
        self.mode = [ctypes.c_int(), ctypes.c_int()]  # fill mode, stroke
        self.mode_addresses = [ctypes.addressof(value) for value in self.mode]

    def add(self, x0: float, y0: float, x1: float, y1: float) -> None:
        x0, y0, x1, y1 = self.view(x0, y0, x1, y1)
        if x1 < 0 or y1 < 0 or x0 > self.width or y0 > self.height:
            return  # outside the visible page
        key = (round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1))
        if key not in self.seen:  # neighbouring cells' frames draw their shared edge twice
            self.seen.add(key)
            self.rules.append(Rule(x0, y0, x1, y1))


def page_rules(page: int, view: Callable[..., _Box], width: float, height: float) -> list[Rule] | None:
    """The page's ruling lines in the displayed page's space; None when the page has too much to look at."""
    walk = _RuleWalk(view, width, height)
    if not _visit(walk, _page_object, page, _count_objects(page), None, 0):
        return None
    return walk.rules


def _visit(
    walk: _RuleWalk, get: Callable[..., int], parent: int, count: int, matrix: _Matrix | None, depth: int
) -> bool:
    """Looks at the paths among ``parent``'s objects and inside its forms; False when over budget."""
    walk.objects += count
    if walk.objects > MAX_OBJECTS:
        return False
    for index in range(count):
        obj = get(parent, index)
        kind = _object_type(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            walk.paths += 1
            if walk.paths > MAX_PATHS or walk.segments > MAX_PAGE_SEGMENTS:
                return False
            _path_rules(walk, obj, matrix)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < MAX_FORM_DEPTH:
            # A form's contents are in its own space (their bounds too): its matrix maps them to the parent's.
            inner = _object_matrix(obj, matrix)
            if not _visit(walk, _form_object, obj, max(_form_count(obj), 0), inner, depth + 1):
                return False
    return True


def _path_rules(walk: _RuleWalk, obj: int, matrix: _Matrix | None) -> None:
    """A thin path is a rule (its bounds); a stroked one gives its straight axis-parallel pieces (a frame, a grid).

    A filled area that is not thin (cell shading, a bar, a logo) gives nothing: its edges are no line a reader
    sees, and zebra stripes would pass for a ruled grid. Nor does a path painted white or nearly (or transparent):
    generators fill cell padding with thin white strips that no reader sees. The bounds of a stroked path include
    the line width (PDFium pads them by the full width: a 0.5 pt line is 1 pt thick here).
    """
    if not _draw_mode(obj, *walk.mode_addresses):
        return
    fill, stroke = (value.value for value in walk.mode)
    if not (fill or stroke) or not _visible(walk, obj, bool(stroke)) or not _bounds(obj, *walk.addresses):
        return
    left, bottom, right, top = walk.floats
    x0, y0, x1, y1 = left.value, bottom.value, right.value, top.value
    if matrix is not None:
        x0, y0, x1, y1 = _transform_box(matrix, x0, y0, x1, y1)
    thickness, length = (x1 - x0, y1 - y0) if x1 - x0 < y1 - y0 else (y1 - y0, x1 - x0)
    if thickness <= RULE_MAX_THICKNESS:
        if length >= MIN_RULE_LENGTH and length >= 2 * thickness:  # not a dot
            walk.add(x0, y0, x1, y1)
    elif stroke:
        _stroked_pieces(walk, obj, _object_matrix(obj, matrix))


def _visible(walk: _RuleWalk, obj: int, stroked: bool) -> bool:
    """Whether the path's paint (its stroke if stroked, else its fill) shows on a white page."""
    if not (_stroke_color if stroked else _fill_color)(obj, *walk.int_addresses):
        return True
    red, green, blue, alpha = (value.value for value in walk.ints)
    return alpha > 0 and min(red, green, blue) < _LIGHT


def _stroked_pieces(walk: _RuleWalk, obj: int, matrix: _Matrix) -> None:
    count = _segment_count(obj)
    width = ctypes.c_float(0.0)
    if not 0 < count <= MAX_SEGMENTS or not _stroke_width(obj, ctypes.addressof(width)):
        return
    walk.segments += count
    a, b, c, d, _, _ = matrix
    half = width.value * math.sqrt(abs(a * d - b * c)) / 2
    if 2 * half > RULE_MAX_THICKNESS:
        return
    x, y = walk.floats[0], walk.floats[1]
    start = current = (0.0, 0.0)
    for index in range(count):
        segment = _segment(obj, index)
        if not segment or not _segment_point(segment, walk.addresses[0], walk.addresses[1]):
            return
        point = _transform(matrix, x.value, y.value)
        kind = _segment_type(segment)
        if kind == pdfium_c.FPDF_SEGMENT_LINETO:
            _add_piece(walk, current, point, half)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = point
        elif _segment_close(segment):
            _add_piece(walk, point, start, half)
        current = point


def _add_piece(walk: _RuleWalk, p: tuple[float, float], q: tuple[float, float], half: float) -> None:
    """A straight piece of a stroked path as a rule, if it runs along an axis (a diagonal is no table border)."""
    (x0, y0), (x1, y1) = p, q
    dx, dy = abs(x1 - x0), abs(y1 - y0)
    if max(dx, dy) < MIN_RULE_LENGTH:
        return
    if dy <= 0.01 * dx:
        y = (y0 + y1) / 2
        walk.add(min(x0, x1), y - half, max(x0, x1), y + half)
    elif dx <= 0.01 * dy:
        x = (x0 + x1) / 2
        walk.add(x - half, min(y0, y1), x + half, max(y0, y1))


def _object_matrix(obj: int | None, parent: _Matrix | None) -> _Matrix:
    """The object's matrix followed by ``parent`` (the enclosing forms' matrices)."""
    raw = pdfium_c.FS_MATRIX()
    if not _matrix(obj, ctypes.addressof(raw)):
        return parent or (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    a, b, c, d, e, f = raw.a, raw.b, raw.c, raw.d, raw.e, raw.f
    if parent is None:
        return a, b, c, d, e, f
    pa, pb, pc, pd, _, _ = parent
    x, y = _transform(parent, e, f)
    return a * pa + b * pc, a * pb + b * pd, c * pa + d * pc, c * pb + d * pd, x, y


def _transform(matrix: _Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def _transform_box(matrix: _Matrix, x0: float, y0: float, x1: float, y1: float) -> _Box:
    a, b, c, d, e, f = matrix
    if b == 0 and c == 0:  # scaled and moved, the usual form matrix
        x0, x1 = sorted((a * x0 + e, a * x1 + e))
        y0, y1 = sorted((d * y0 + f, d * y1 + f))
        return x0, y0, x1, y1
    corners = [_transform(matrix, x, y) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)
