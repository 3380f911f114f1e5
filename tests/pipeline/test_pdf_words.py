"""Positioned words and rules from a PDF page (parsers.pdf_words), on PDFs drawn with reportlab where the truth is
known, and on the corpus's text PDFs (words must agree with the text the PDF parser reads)."""

from __future__ import annotations

import ctypes
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from tests.pipeline.helpers import corpus
from webapp.pipeline.layout.model import PageInput, Rule, Word
from webapp.pipeline.parsers import pdf_words
from webapp.pipeline.parsers.pdf_rules import MAX_PATHS
from webapp.pipeline.parsers.pdf_text import clean_page_text
from webapp.pipeline.parsers.pdf_words import page_input, page_text, read_page

WIDTH, HEIGHT = 400.0, 600.0
# Embedded TrueType (reportlab ships Bitstream Vera): PDFium's loose boxes then use the font's own ascent and
# descent, the ones reportlab reports. For the standard 14 fonts, which are not embedded, PDFium uses its built-in
# substitutes' metrics: taller bands (see test_standard_fonts_get_the_substitute_fonts_band).
for _name, _file in (("Vera", "Vera.ttf"), ("Vera-Bold", "VeraBd.ttf"), ("Vera-Italic", "VeraIt.ttf")):
    pdfmetrics.registerFont(TTFont(_name, _file))

Box = tuple[float, float, float, float]


def _pdf(draw: Callable[[Canvas], None], size: tuple[float, float] = (WIDTH, HEIGHT)) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size)
    draw(canvas)
    canvas.save()
    return buffer.getvalue()


@contextmanager
def _opened(data: bytes, **boxes: tuple[float, float, float, float] | int) -> Iterator[pdfium.PdfPage]:
    """The first page, after setting its rotation / media box / crop box with PDFium and saving the file again."""
    pdf = pdfium.PdfDocument(data)
    if boxes:
        page = pdf[0]
        if "rotation" in boxes:
            page.set_rotation(boxes["rotation"])
        if "mediabox" in boxes:
            page.set_mediabox(*boxes["mediabox"])
        if "cropbox" in boxes:
            page.set_cropbox(*boxes["cropbox"])
        page.close()
        saved = io.BytesIO()
        pdf.save(saved)
        pdf.close()
        pdf = pdfium.PdfDocument(saved.getvalue())
    page = pdf[0]
    try:
        yield page
    finally:
        page.close()
        pdf.close()


def _read(data: bytes, *, rules: bool = True, **boxes: tuple[float, float, float, float] | int) -> PageInput:
    with _opened(data, **boxes) as page:
        textpage = page.get_textpage()
        try:
            return page_input(page, textpage, 1, rules=rules)
        finally:
            textpage.close()


def _drawn(text: str, x: float, y: float, font: str, size: float) -> Box:
    """Where reportlab drew ``text`` (baseline at y), in user space: left, bottom, right, top."""
    ascent, descent = pdfmetrics.getAscentDescent(font, size)
    return x, y + descent, x + pdfmetrics.stringWidth(text, font, size), y + ascent


def _top_left(box: Box, height: float = HEIGHT) -> Box:
    left, bottom, right, top = box
    return left, height - top, right, height - bottom


def _iou(a: Box, b: Box) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def _box(item: Word | Rule) -> Box:
    return item.x0, item.y0, item.x1, item.y1


def _line(canvas: Canvas, text: str, x: float, y: float, font: str = "Vera", size: float = 12) -> None:
    canvas.setFont(font, size)
    canvas.drawString(x, y, text)


def _expected_words(text: str, x: float, y: float, font: str, size: float) -> list[tuple[str, Box]]:
    """Each word of ``text`` drawn from (x, y) and its box in the top-left space."""
    words = []
    for word in text.split(" "):
        words.append((word, _top_left(_drawn(word, x, y, font, size))))
        x += pdfmetrics.stringWidth(word + " ", font, size)
    return words


# --- words ---------------------------------------------------------------------------------------------------


def test_words_and_boxes_are_where_reportlab_drew_them():
    lines = [("Positioned words for layout", 50, 500, 12), ("second line, smaller (9 pt)", 70, 480, 9)]
    data = _pdf(lambda canvas: [_line(canvas, text, x, y, size=size) for text, x, y, size in lines])

    page = _read(data)

    expected = [word for text, x, y, size in lines for word in _expected_words(text, x, y, "Vera", size)]
    assert [word.text for word in page.words] == [text for text, _ in expected]
    for word, (_, box) in zip(page.words, expected, strict=True):
        assert _iou(_box(word), box) >= 0.8, (word, box)
    assert [word.size for word in page.words] == [12.0] * 4 + [9.0] * 5
    assert (page.width, page.height, page.rotation, page.source) == (WIDTH, HEIGHT, 0, "text")


def test_every_word_of_a_line_shares_its_band():
    """GIVEN a line whose words have ascenders, descenders and neither WHEN read THEN one vertical band for all:
    the loose boxes come from the font's ascent and descent, not from the glyphs' ink."""
    page = _read(_pdf(lambda canvas: _line(canvas, "Ay gj xx Tq ...", 50, 500)))

    assert len(page.words) == 5
    for word in page.words:
        assert (word.y0, word.y1) == pytest.approx((page.words[0].y0, page.words[0].y1), abs=0.05)


def test_standard_fonts_get_the_substitute_fonts_band():
    """GIVEN Helvetica, not embedded WHEN read THEN the horizontal extent is exact; the band is PDFium's substitute
    font's (taller than Helvetica's own ascent and descent), so the box overlaps reportlab's by about 0.78."""
    page = _read(_pdf(lambda canvas: _line(canvas, "Standard font", 50, 500, "Helvetica", 12)))

    for word, (_, box) in zip(page.words, _expected_words("Standard font", 50, 500, "Helvetica", 12), strict=True):
        assert word.x0 == pytest.approx(box[0], abs=0.05)
        assert word.x1 == pytest.approx(box[2], abs=0.05)
        assert word.y0 <= box[1] and word.y1 >= box[3]
        assert _iou(_box(word), box) >= 0.7


def test_font_size_comes_through_the_text_matrix():
    """GIVEN text set at 1 pt and scaled 14 times by the text matrix (how many producers write) WHEN read THEN 14."""

    def draw(canvas: Canvas) -> None:
        text = canvas.beginText()
        text.setFont("Vera", 1)
        text.setTextTransform(14, 0, 0, 14, 50, 400)
        text.textOut("Scaled heading")
        canvas.drawText(text)
        _line(canvas, "body", 50, 300, size=10)

    page = _read(_pdf(draw))

    assert [(word.text, word.size) for word in page.words] == [("Scaled", 14.0), ("heading", 14.0), ("body", 10.0)]
    expected = _top_left(_drawn("Scaled", 50, 400, "Vera", 14))
    assert _iou(_box(page.words[0]), expected) >= 0.8


@pytest.mark.parametrize(
    ("font", "bold", "italic", "name"),
    [
        ("Vera", False, False, "BitstreamVeraSans-Roman"),
        ("Vera-Bold", True, False, "BitstreamVeraSans-Bold"),
        ("Vera-Italic", False, True, "BitstreamVeraSans-Oblique"),
        ("Helvetica", False, False, "Helvetica"),
        ("Helvetica-Bold", True, False, "Helvetica-Bold"),
        ("Helvetica-Oblique", False, True, "Helvetica-Oblique"),
        ("Times-BoldItalic", True, True, "Times-BoldItalic"),
    ],
)
def test_bold_italic_and_font_name(font, bold, italic, name):
    page = _read(_pdf(lambda canvas: _line(canvas, "Styled words", 50, 500, font)))

    assert [(word.bold, word.italic, word.font) for word in page.words] == [(bold, italic, name)] * 2


def test_a_line_mixing_fonts_gives_each_word_its_own():
    def draw(canvas: Canvas) -> None:
        text = canvas.beginText(50, 500)
        for font, word in (("Vera", "plain "), ("Vera-Bold", "strong "), ("Vera-Italic", "slanted "), ("Vera", "end")):
            text.setFont(font, 11)
            text.textOut(word)
        canvas.drawText(text)

    page = _read(_pdf(draw))

    assert [(word.text, word.bold, word.italic) for word in page.words] == [
        ("plain", False, False),
        ("strong", True, False),
        ("slanted", False, True),
        ("end", False, False),
    ]


def test_words_split_at_generated_spaces_and_line_breaks():
    """GIVEN strings with no space between them, apart on one baseline or on two lines WHEN read THEN PDFium's
    generated space and line break split them: a word never spans two lines."""

    def draw(canvas: Canvas) -> None:
        _line(canvas, "left", 50, 500)
        _line(canvas, "right", 200, 500)
        _line(canvas, "upper", 50, 450)
        _line(canvas, "lower", 50, 435)

    page = _read(_pdf(draw))

    assert [word.text for word in page.words] == ["left", "right", "upper", "lower"]
    upper, lower = page.words[2], page.words[3]
    assert upper.y1 <= lower.y0 + 1.0  # bands of neighbouring lines may touch, not contain each other


def test_a_soft_hyphen_splits_the_word_between_its_lines():
    """GIVEN a word hyphenated at the line end WHEN read THEN PDFium's text joins it ("experience"), the words keep
    each half on its own line, the first flagged ``hyphenated``; joined, they are the cleaned text."""

    def draw(canvas: Canvas) -> None:
        _line(canvas, "learns from experi-", 50, 500)
        _line(canvas, "ence and from state-of-the-", 50, 485)
        _line(canvas, "art methods.", 50, 470)

    data = _pdf(draw)
    page = _read(data)

    assert [(word.text, word.hyphenated) for word in page.words] == [
        ("learns", False),
        ("from", False),
        ("experi", True),
        ("ence", False),
        ("and", False),
        ("from", False),
        ("state-of-the", True),
        ("art", False),
        ("methods.", False),
    ]
    experi, ence = page.words[2], page.words[3]
    assert ence.y0 > experi.y0 + 10 and ence.x0 < experi.x0
    # The first half's box ends after the hyphen glyph, where the line ends.
    assert experi.x1 == pytest.approx(_drawn("learns from experi-", 50, 500, "Vera", 12)[2], abs=0.3)
    with _opened(data) as opened:
        textpage = opened.get_textpage()
        text = page_text(textpage)
        textpage.close()
    assert "experience" in text
    assert "".join(word.text for word in page.words) == "".join(text.split())


def test_empty_page():
    page = _read(_pdf(lambda canvas: canvas.showPage()))

    assert (page.words, page.rules, page.rules_skipped) == ([], [], False)
    assert (page.width, page.height) == (WIDTH, HEIGHT)


def test_zero_size_text_is_no_trouble():
    def draw(canvas: Canvas) -> None:
        _line(canvas, "invisible", 50, 500, "Helvetica", 0)
        _line(canvas, "visible", 50, 400)

    assert [word.text for word in _read(_pdf(draw)).words] == ["visible"]


def test_a_page_of_100k_characters_takes_bounded_time():
    line = "ab cd efgh ijk lmnop qrs tuv wxyz " * 12

    def draw(canvas: Canvas) -> None:
        canvas.setFont("Helvetica", 2)
        for index in range(250):
            canvas.drawString(5, 795 - index * 3.1, line)

    data = _pdf(draw, size=(600, 800))
    started = time.perf_counter()
    page = _read(data)
    elapsed = time.perf_counter() - started

    assert len(page.words) == 250 * 96
    assert elapsed < 2.0  # about 0.1 s on one idle core


# --- page geometry -------------------------------------------------------------------------------------------


def _displayed(page: pdfium.PdfPage, width: float, height: float, box: Box) -> Box:
    """Where a user-space box shows on the page: PDFium's own page-to-device mapping, at 1/100 pt."""
    xs, ys = [], []
    for x in (box[0], box[2]):
        for y in (box[1], box[3]):
            device_x, device_y = ctypes.c_int(), ctypes.c_int()
            size = (round(width * 100), round(height * 100))
            pdfium_c.FPDF_PageToDevice(page, 0, 0, *size, 0, x, y, device_x, device_y)
            xs.append(device_x.value / 100)
            ys.append(device_y.value / 100)
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_rotated_page_is_read_as_displayed(rotation):
    data = _pdf(lambda canvas: _line(canvas, "Near the top left", 30, 560))

    with _opened(data, rotation=rotation) as page:
        textpage = page.get_textpage()
        result = page_input(page, textpage, 1)
        textpage.close()
        expected = [_displayed(page, result.width, result.height, box) for box in _user_boxes("Near the top left")]

    assert result.rotation == rotation
    assert (result.width, result.height) == ((HEIGHT, WIDTH) if rotation in (90, 270) else (WIDTH, HEIGHT))
    assert [word.text for word in result.words] == ["Near", "the", "top", "left"]
    for word, box in zip(result.words, expected, strict=True):
        assert _iou(_box(word), box) >= 0.8, (word, box)
    corner = {90: "top right", 180: "bottom right", 270: "bottom left"}[rotation]
    first = result.words[0]
    assert (first.x0 > result.width / 2) == ("right" in corner)
    assert (first.y0 > result.height / 2) == ("bottom" in corner)


def _user_boxes(text: str, x: float = 30, y: float = 560) -> list[Box]:
    boxes = []
    for word in text.split(" "):
        boxes.append(_drawn(word, x, y, "Vera", 12))
        x += pdfmetrics.stringWidth(word + " ", "Vera", 12)
    return boxes


def test_reportlab_page_rotation():
    def draw(canvas: Canvas) -> None:
        canvas.setPageRotation(90)
        _line(canvas, "Landscape", 30, 350)

    data = _pdf(draw, size=(WIDTH, HEIGHT))

    with _opened(data) as page:
        textpage = page.get_textpage()
        result = page_input(page, textpage, 1)
        textpage.close()
        left, bottom, right, top = page.get_bbox()
        expected = _displayed(page, result.width, result.height, _drawn("Landscape", 30, 350, "Vera", 12))

    assert result.rotation == 90
    assert (result.width, result.height) == (top - bottom, right - left)
    assert _iou(_box(result.words[0]), expected) >= 0.8


def test_a_media_box_away_from_the_origin():
    """GIVEN the same page drawn 100 pt right and 200 pt up, its media box moved with it WHEN read THEN the same
    words and rules at the same places: coordinates are relative to the displayed page's corner."""

    def draw(dx: float, dy: float) -> Callable[[Canvas], None]:
        def on(canvas: Canvas) -> None:
            _line(canvas, "Shifted page", 50 + dx, 500 + dy)
            canvas.line(50 + dx, 480 + dy, 300 + dx, 480 + dy)

        return on

    plain = _read(_pdf(draw(0, 0)))
    shifted = _read(_pdf(draw(100, 200), size=(WIDTH + 100, HEIGHT + 200)), mediabox=(100, 200, 500, 800))

    assert (shifted.width, shifted.height) == (WIDTH, HEIGHT)
    assert [word.text for word in shifted.words] == ["Shifted", "page"]
    for ours, theirs in zip(shifted.words + shifted.rules, plain.words + plain.rules, strict=True):
        assert _box(ours) == pytest.approx(_box(theirs), abs=0.01)


def test_a_crop_box_sets_the_corner_and_the_size():
    data = _pdf(lambda canvas: _line(canvas, "Cropped", 100, 400))

    page = _read(data, cropbox=(50, 100, 350, 500))

    assert (page.width, page.height) == (300, 400)
    expected = _drawn("Cropped", 100, 400, "Vera", 12)
    left, bottom, right, top = expected
    assert _iou(_box(page.words[0]), (left - 50, 500 - top, right - 50, 500 - bottom)) >= 0.8


# --- rules ---------------------------------------------------------------------------------------------------


def _near(rules: list[Rule], box: Box, tolerance: float = 1.1) -> bool:
    """A rule whose ends and thickness are within ``tolerance`` of ``box`` (PDFium pads by the line width)."""
    return any(all(abs(a - b) <= tolerance for a, b in zip(_box(rule), box, strict=True)) for rule in rules)


def test_lines_and_stroked_rectangles_are_rules():
    def draw(canvas: Canvas) -> None:
        canvas.setLineWidth(0.5)
        canvas.line(50, 500, 250, 500)  # horizontal
        canvas.line(300, 300, 300, 500)  # vertical
        canvas.rect(50, 200, 200, 100, stroke=1, fill=0)  # a frame: four edges

    rules = _read(_pdf(draw)).rules

    assert len(rules) == 6
    assert _near(rules, (50, 100, 250, 100))
    assert _near(rules, (300, 100, 300, 300))
    for edge in [(50, 300, 250, 300), (50, 400, 250, 400), (50, 300, 50, 400), (250, 300, 250, 400)]:
        assert _near(rules, edge), edge
    assert all(min(rule.x1 - rule.x0, rule.y1 - rule.y0) <= 1.0 for rule in rules)
    assert [rule.horizontal for rule in rules] == [True, False, True, False, True, False]


def test_filled_areas_are_no_rules_unless_thin_or_stroked():
    """GIVEN cell shading (filled, no stroke), a thin filled bar, a filled and stroked box, a diagonal and a dot
    WHEN read THEN the bar is a rule, the stroked box gives its four edges, the rest nothing."""

    def draw(canvas: Canvas) -> None:
        canvas.setFillGray(0.8)
        canvas.rect(50, 400, 200, 60, stroke=0, fill=1)  # shading
        canvas.rect(50, 350, 200, 1.5, stroke=0, fill=1)  # a booktabs-like rule drawn as a filled bar
        canvas.rect(50, 200, 100, 50, stroke=1, fill=1)
        canvas.line(300, 100, 380, 180)  # diagonal
        canvas.rect(300, 300, 1, 1, stroke=0, fill=1)  # a dot

    rules = _read(_pdf(draw)).rules

    assert len(rules) == 5
    assert _near(rules, (50, 600 - 351.5, 250, 600 - 350), tolerance=0.01)
    for edge in [(50, 350, 150, 350), (50, 400, 150, 400), (50, 350, 50, 400), (150, 350, 150, 400)]:
        assert _near(rules, edge), edge


def test_paths_painted_white_are_no_rules():
    """GIVEN thin strips filled white or near-white (generators pad table cells with them) and a mid-gray line
    WHEN read THEN only the gray line: the others do not show on the page."""

    def draw(canvas: Canvas) -> None:
        canvas.setFillColorRGB(1, 1, 1)
        canvas.rect(100, 300, 1.3, 80, stroke=0, fill=1)
        canvas.setFillColorRGB(0.94, 0.94, 0.94)
        canvas.rect(150, 300, 1.3, 80, stroke=0, fill=1)
        canvas.setStrokeColorRGB(1, 1, 1)
        canvas.line(50, 250, 300, 250)
        canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
        canvas.line(50, 200, 300, 200)

    rules = _read(_pdf(draw)).rules

    assert len(rules) == 1
    assert _near(rules, (50, 400, 300, 400))


def test_rules_inside_a_form_xobject_are_placed_by_its_matrix():
    def draw(canvas: Canvas) -> None:
        canvas.beginForm("grid")
        canvas.setLineWidth(0.5)
        canvas.line(0, 0, 100, 0)
        canvas.line(0, 20, 100, 20)
        canvas.rect(0, 30, 50, 40, stroke=1, fill=0)
        canvas.endForm()
        canvas.saveState()
        canvas.translate(100, 200)
        canvas.scale(2, 1.5)
        canvas.doForm("grid")
        canvas.restoreState()

    rules = _read(_pdf(draw)).rules

    # Form space (x, y) -> page (100 + 2x, 200 + 1.5y) -> top-left (100 + 2x, 400 - 1.5y).
    assert len(rules) == 6
    for edge in [(100, 400, 300, 400), (100, 370, 300, 370)]:
        assert _near(rules, edge, tolerance=1.6), edge
    for edge in [(100, 355, 200, 355), (100, 295, 200, 295), (100, 295, 100, 355), (200, 295, 200, 355)]:
        assert _near(rules, edge, tolerance=1.6), edge


def test_a_drawing_with_too_many_paths_gives_no_rules():
    def draw(canvas: Canvas) -> None:
        _line(canvas, "A map", 50, 560)
        canvas.setLineWidth(0.3)
        for index in range(MAX_PATHS + 100):
            x, y = 20 + (index % 100) * 3.6, 20 + (index // 100) * 9
            canvas.line(x, y, x + 3, y)

    data = _pdf(draw)
    started = time.perf_counter()
    page = _read(data)
    elapsed = time.perf_counter() - started

    assert (page.rules, page.rules_skipped) == ([], True)
    assert [word.text for word in page.words] == ["A", "map"]
    assert elapsed < 1.0  # about 30 ms on one idle core


def test_rules_are_read_only_when_asked():
    def draw(canvas: Canvas) -> None:
        canvas.line(50, 500, 250, 500)

    assert _read(_pdf(draw)).rules
    page = _read(_pdf(draw), rules=False)
    assert (page.rules, page.rules_skipped) == ([], False)


# --- real documents ------------------------------------------------------------------------------------------

# Soft hyphens; characters outside the BMP (two text-page entries each) and control characters left out of
# PDFium's text; LaTeX spacing accents; a right-to-left script; CJK with tables.
CORPUS_FILES = [
    "pdf_arxiv_1601.03642.pdf",
    "pdf_arxiv_2201.00029.pdf",
    "pdf_docling_redp5110_sampled.pdf",
    "pdf_multi-column.pdf",
    "pdf_docling_right_to_left_01.pdf",
    "pdf_korean-text-with-tables.pdf",
]


def _check_document(name: str) -> int:
    """Every page: the text as the parser reads it, and words that are that text modulo whitespace."""
    pdf = pdfium.PdfDocument(corpus(name))
    words = 0
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            text, result = read_page(page, textpage, index + 1)
            assert text == clean_page_text(textpage.get_text_range()), (name, index)
            assert "".join(word.text for word in result.words) == "".join(text.split()), (name, index)
            assert all(word.text and word.x0 <= word.x1 and word.y0 <= word.y1 for word in result.words)
            assert result.number == index + 1
            words += len(result.words)
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return words


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_words_are_the_parsers_text(name):
    assert _check_document(name) > 0


@pytest.mark.parametrize("name", ["pdf_arxiv_2201.00029.pdf", "pdf_docling_redp5110_sampled.pdf"])
def test_each_word_is_measured_on_its_own_characters(name):
    """GIVEN pages where PDFium's text and its character list differ in length (characters outside the BMP take
    two entries, one per surrogate; some control characters are left out of the text) WHEN words are mapped to
    character indices THEN each word's first and last index hold the word's own characters."""
    pdf = pdfium.PdfDocument(corpus(name))
    checked = 0
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            raw = pdf_words._raw_text(textpage)
            to_char = pdf_words._char_mapper(textpage, raw)
            for start, end, _, _ in pdf_words._tokens(raw):
                for position in (start, end - 1):
                    char = to_char(position) if to_char else position
                    assert chr(pdfium_c.FPDFText_GetUnicode(textpage, char)) == _first_unit(raw[position])
                    checked += 1
            textpage.close()
            page.close()
    finally:
        pdf.close()
    assert checked > 1000


def _first_unit(char: str) -> str:
    """The character as PDFium's character list holds it: a high surrogate for a non-BMP one, 0x02 for U+FFFE."""
    if char == "\ufffe":
        return "\x02"
    return char.encode("utf-16-le", "surrogatepass")[:2].decode("utf-16-le", "surrogatepass")
