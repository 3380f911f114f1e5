"""Positioned words and ruling lines of a born-digital PDF page (pypdfium2): the input of layout analysis.

Speed is the design. The page's text is taken once, as the PDF parser takes it, and split into words in Python;
PDFium is asked only about each word's first and last character (two loose boxes: their vertical band comes from
the font's ascent and descent, so the words of a line share it) and about the first one's text object (font facts,
cached). PDFium's functions are called through prototypes that take plain addresses, 40% cheaper per call.

Index mapping: a position in PDFium's text (in UTF-16 units) is the index of the same character in the text page
when the text has as many units as the page has characters (PDFium leaves some control characters out of the text,
and keeps a character outside the BMP as two entries, one per surrogate); otherwise each word end is translated
with ``FPDFText_GetCharIndexFromTextIndex``.

Coordinates are PDF points with the origin at the top-left corner of the page as a viewer shows it: the crop box
(clipped to the media box) after the page's /Rotate.
"""

from __future__ import annotations

import ctypes
import math
import re
from bisect import bisect_left
from collections.abc import Callable
from typing import NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from webapp.pipeline.layout.model import PageInput, Word
from webapp.pipeline.parsers.pdf_rules import page_rules
from webapp.pipeline.parsers.pdf_text import SPACING_ACCENT, clean_page_text, compose_accent
from webapp.pipeline.parsers.pdfium_fast import DOUBLE as _D
from webapp.pipeline.parsers.pdfium_fast import INT as _I
from webapp.pipeline.parsers.pdfium_fast import POINTER as _P
from webapp.pipeline.parsers.pdfium_fast import fast as _fast

# Dropped from words, as clean_page_text drops them (plus lone surrogates, which decoding with errors="ignore" drops).
_REMOVED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufeff\uffff\ufffe\ud800-\udfff]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ASTRAL = re.compile(r"[\U00010000-\U0010ffff]")
# What splits words: whitespace as str.split() sees it in the cleaned text (the control characters it counts as
# whitespace are removed there, so they join rather than split).
_SEPARATORS = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and not _REMOVED.match(c))
_WORD_CHAR = f"[^{re.escape(_SEPARATORS)}\ufffe]"
# A word ends after PDFium's U+FFFE (the hyphen it removed at a line end): its second half is on the next line.
_TOKEN = re.compile(f"{_WORD_CHAR}*\ufffe|{_WORD_CHAR}+")
# clean_page_text composes LaTeX's spacing accents with the next letter, across a space ("Sup ´ erieure"), on a
# page that has one of the triggers; words are joined and composed the same way.
_ACCENT_TRIGGERS = ("\u00b4", "\u02c6", "\u00a8", "`", "\u02dc")
_ACCENTS = "´`ˆ˜¨˚¸ˇ˘˝"
_NEEDS_CLEANING = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\ufeff\uffff\ufffe\ud800-\udfff{_ACCENTS}]")

_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")
# Bold by name: the usual words, "-Bd" (Linotype), and TeX's bold extended faces (CMBX10, SFBX1200, CMSSBX10),
# whose descriptors claim weights of 250-570.
_BOLD_NAME = re.compile(r"(?i:bold|black|heavy|demi)|-Bd|^(?:CM|SF|EC|TC|LM)[A-Z]*BX")
_ITALIC_NAME = re.compile(r"(?i:italic|oblique)|Ital|Slant|-It\b")
_FLAG_ITALIC = 1 << 6
_FLAG_FORCE_BOLD = 1 << 18
_BOLD_WEIGHT = 600


_loose_box = _fast("FPDFText_GetLooseCharBox", _I, _P, _I, _P)
_text_object = _fast("FPDFText_GetTextObject", _P, _P, _I)
_char_index = _fast("FPDFText_GetCharIndexFromTextIndex", _I, _P, _I)
_font_size = _fast("FPDFText_GetFontSize", _D, _P, _I)
_char_matrix = _fast("FPDFText_GetMatrix", _I, _P, _I, _P)
_font_info = _fast("FPDFText_GetFontInfo", ctypes.c_ulong, _P, _I, _P, ctypes.c_ulong, _P)
_font_weight = _fast("FPDFText_GetFontWeight", _I, _P, _I)
_text_font = _fast("FPDFTextObj_GetFont", _P, _P)
_italic_angle = _fast("FPDFFont_GetItalicAngle", _I, _P, _P)
_Box = tuple[float, float, float, float]  # x0, y0, x1, y1
_Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, PDF's row-vector convention


_Font = tuple[bool, bool, str]  # bold, italic, name without the subset prefix


class _Style(NamedTuple):
    size: float
    bold: bool
    italic: bool
    name: str


def page_text(textpage: pdfium.PdfTextPage) -> str:
    """The page's cleaned text: what the PDF parser reads (``clean_page_text`` of PDFium's text)."""
    return _clean(_raw_text(textpage))


def read_page(
    page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, number: int, *, rules: bool = True
) -> tuple[str, PageInput]:
    """The page's cleaned text and its layout input, from one pass over PDFium's text. PdfiumError propagates."""
    raw = _raw_text(textpage)
    return _clean(raw), _page_input(page, textpage, number, raw, rules)


def page_input(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, number: int, *, rules: bool = True) -> PageInput:
    """Words in content order and ruling lines of one page (``number`` from 1). PdfiumError propagates."""
    return _page_input(page, textpage, number, _raw_text(textpage), rules)


def _raw_text(textpage: pdfium.PdfTextPage) -> str:
    # surrogatepass keeps a lone surrogate in place (errors="ignore" would drop it and shift every index after it).
    return str(textpage.get_text_range(errors="surrogatepass"))


def _clean(raw: str) -> str:
    return clean_page_text(_LONE_SURROGATE.sub("", raw))


def _page_input(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, number: int, raw: str, rules: bool) -> PageInput:
    left, bottom, right, top = page.get_bbox()
    rotation = page.get_rotation()
    width, height = right - left, top - bottom
    if rotation in (90, 270):
        width, height = height, width
    view = _viewer(rotation, left, bottom, right, top)
    result = PageInput(number=number, width=width, height=height, rotation=rotation)
    result.words = _words(textpage, raw, view)
    if rules:
        found = page_rules(_address(page.raw), view, width, height)
        result.rules = found or []
        result.rules_skipped = found is None
    return result


def _address(handle: object) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _viewer(rotation: int, left: float, bottom: float, right: float, top: float) -> Callable[..., _Box]:
    """Maps a box in PDF user space (x0, y0, x1, y1; y upwards) to the displayed page: origin top-left, y down."""
    if rotation == 90:
        return lambda x0, y0, x1, y1: (y0 - bottom, x0 - left, y1 - bottom, x1 - left)
    if rotation == 180:
        return lambda x0, y0, x1, y1: (right - x1, y0 - bottom, right - x0, y1 - bottom)
    if rotation == 270:
        return lambda x0, y0, x1, y1: (top - y1, right - x1, top - y0, right - x0)
    return lambda x0, y0, x1, y1: (x0 - left, top - y1, x1 - left, top - y0)


# --- words ---------------------------------------------------------------------------------------------------


def _tokens(raw: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, text, hyphenated) of each word of PDFium's text, with positions in ``raw``."""
    spans = [match.span() for match in _TOKEN.finditer(raw)]
    accents = any(trigger in raw for trigger in _ACCENT_TRIGGERS)
    if accents:
        spans = _join_accents(raw, spans)
    dirty = _NEEDS_CLEANING.search(raw) is not None
    tokens = []
    for start, end in spans:
        text = raw[start:end]
        if dirty and _NEEDS_CLEANING.search(text):
            # Composed whenever the page has a trigger, as clean_page_text does (the word itself may have none).
            text = _clean(text)
            text = SPACING_ACCENT.sub(compose_accent, text) if accents else text
            if not text:
                continue
        hyphenated = raw[end - 1] == "\ufffe" and end < len(raw) and raw[end] not in _SEPARATORS
        tokens.append((start, end, text, hyphenated))
    return tokens


def _join_accents(raw: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans separated by a space that clean_page_text removes (around a spacing accent) become one."""
    glue = {
        match.start() + offset
        for match in SPACING_ACCENT.finditer(raw)
        for offset, char in enumerate(match.group())
        if char == " "
    }
    if not glue:
        return spans
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and joined[-1][1] == start - 1 and start - 1 in glue:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _char_mapper(textpage: pdfium.PdfTextPage, raw: str) -> Callable[[int], int] | None:
    """Position in ``raw`` -> index in the text page; None when they are the same."""
    astral = [match.start() for match in _ASTRAL.finditer(raw)] if _ASTRAL.search(raw) else []
    identity = len(raw) + len(astral) == textpage.count_chars()
    if identity and not astral:
        return None
    tp = _address(textpage.raw)

    def to_char(position: int) -> int:
        unit = position + bisect_left(astral, position) if astral else position
        return unit if identity else int(_char_index(tp, unit))

    return to_char


def _words(textpage: pdfium.PdfTextPage, raw: str, view: Callable[..., _Box]) -> list[Word]:
    tp = _address(textpage.raw)
    to_char = _char_mapper(textpage, raw)
    rect = pdfium_c.FS_RECTF()
    rect_address = ctypes.addressof(rect)
    styles = _Styles(tp)
    words = []
    for start, end, text, hyphenated in _tokens(raw):
        first, last = (to_char(start), to_char(end - 1)) if to_char else (start, end - 1)
        _loose_box(tp, first, rect_address)  # on failure (no such index), the previous word's box: a neighbour
        left, top, right, bottom = rect.left, rect.top, rect.right, rect.bottom
        obj = _text_object(tp, first)
        style = styles.by_object.get(obj) or styles.find(first, obj, top - bottom)
        if last != first:
            _loose_box(tp, last, rect_address)
            # Compared, not taken in order: right-to-left and rotated text run the other way.
            left = rect.left if rect.left < left else left
            right = rect.right if rect.right > right else right
            bottom = rect.bottom if rect.bottom < bottom else bottom
            top = rect.top if rect.top > top else top
        x0, y0, x1, y1 = view(left, bottom, right, top)
        words.append(Word(text, x0, y0, x1, y1, style.size, style.bold, style.italic, style.name, hyphenated))
    return words


class _Styles:
    """Font facts by text object, then by font and loose box height, then by font; each level saves PDFium calls.

    PDFium splits a TJ array at wide gaps, so in many files every word is a text object of its own. A character's
    loose box height is the font's ascent minus its descent at the effective size: the same font and height mean
    the same size, without asking for the size and the matrix again.
    """

    def __init__(self, tp: int) -> None:
        self.tp = tp
        self.by_object: dict[int | None, _Style] = {}
        self.by_height: dict[tuple[int, float], _Style] = {}
        self.fonts: dict[int, _Font] = {}

    def find(self, index: int, obj: int | None, height: float) -> _Style:
        font = _text_font(obj) if obj else None
        key = (font, round(height, 3)) if font else None
        style = self.by_height.get(key) if key else None
        if style is None:
            facts = self.fonts.get(font) if font else None
            if facts is None:
                facts = _font_facts(self.tp, index, font)
                if font:
                    self.fonts[font] = facts
            style = _Style(round(self._size(index), 2), *facts)
            if key:
                self.by_height[key] = style
        if obj:
            self.by_object[obj] = style
        return style

    def _size(self, index: int) -> float:
        # FPDFText_GetFontSize is the size set with Tf; many producers set 1 and scale with the text matrix.
        size = float(_font_size(self.tp, index))
        matrix = pdfium_c.FS_MATRIX()
        if _char_matrix(self.tp, index, ctypes.addressof(matrix)):
            size *= math.hypot(matrix.c, matrix.d)
        return size


def _font_facts(tp: int, index: int, font: int | None) -> _Font:
    """(bold, italic, name without the subset prefix) of the character's font."""
    flags, angle = ctypes.c_int(0), ctypes.c_int(0)
    buffer = ctypes.create_string_buffer(256)
    length = _font_info(tp, index, buffer, len(buffer), ctypes.addressof(flags))
    if length > len(buffer):
        buffer = ctypes.create_string_buffer(length)
        _font_info(tp, index, buffer, len(buffer), ctypes.addressof(flags))
    name = _SUBSET_PREFIX.sub("", buffer.value.decode("utf-8", "replace"))
    if font:
        _italic_angle(font, ctypes.addressof(angle))
    bold = _font_weight(tp, index) >= _BOLD_WEIGHT or bool(flags.value & _FLAG_FORCE_BOLD or _BOLD_NAME.search(name))
    italic = bool(flags.value & _FLAG_ITALIC or angle.value or _ITALIC_NAME.search(name))
    return bold, italic, name
