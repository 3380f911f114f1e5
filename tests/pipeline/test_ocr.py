"""OCR with the real Tesseract program: scanned PDF pages, the parse.ocr modes, languages, and a missing engine."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.metrics import token_f1
from tests.pipeline.helpers import corpus, expected_text, parse, source
from webapp.pipeline import ocr, ocr_words
from webapp.pipeline.config import StageConfig, default_stages, validate_stages
from webapp.pipeline.enrich.quality import assess_quality
from webapp.pipeline.ocr_rules import displayed_bbox, find_rules
from webapp.pipeline.parsers.pdf_text import ocr_blocks
from webapp.pipeline.render import to_markdown, to_text
from webapp.pipeline.runner import PipelineFailed, run_pipeline


def _merged_pdf(tmp_path: Path, *parts: tuple[str, list[int]]) -> Path:
    """A PDF made of pages of corpus PDFs, e.g. a born-digital page followed by a scanned one."""
    merged = pdfium.PdfDocument.new()
    for name, pages in parts:
        merged.import_pages(pdfium.PdfDocument(corpus(name)), pages)
    path = tmp_path / "merged.pdf"
    merged.save(path)
    return path


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ocr.TESSERACT_ENV, str(tmp_path / "not-installed" / "tesseract"))


# Observed: F1 1.0 and 0.997, mean word confidence 95.5 and 96.
@pytest.mark.parametrize("name", ["pdf_scan_ocr_test.pdf", "pdf_scan_eng-ocr.pdf"])
def test_scanned_pdf_is_read_with_ocr(name: str) -> None:
    _, document = parse(corpus(name))
    assert token_f1(to_markdown(document), expected_text(name)) >= 0.95
    assert document.signals["ocr_pages"] == 1
    assert document.signals["ocr_confidence"] > 85
    assert document.signals["empty_pages"] == 0
    assert document.warnings == []
    assert all(element.page == 1 for element in document.elements)
    # Blocks come from layout analysis of the OCR words (a title over the article's paragraphs), lines joined.
    assert {element.type for element in document.elements} <= {"title", "heading", "paragraph"}
    assert all("\n" not in element.text for element in document.elements)


def test_rotated_and_upside_down_pages_are_turned_upright(tmp_path: Path) -> None:
    """GIVEN scanned pages upside down and turned by 270 degrees (Tesseract's layout copes with 90 by itself)."""
    path = _merged_pdf(tmp_path, ("pdf_scan_nemotron_multipage.pdf", [1, 3]))
    _, document = parse(path)
    for number in (1, 2):
        assert "Docling bundles PDF document conversion to JSON and Markdown" in _page_text(document, number)
    assert document.signals["ocr_pages"] == 2
    assert document.signals["ocr_confidence"] > 85


def _page_text(document, number: int) -> str:
    return " ".join(element.text for element in document.elements if element.page == number and element.text)


def test_auto_never_reads_born_digital_pages_with_ocr(tmp_path: Path) -> None:
    """GIVEN a text page followed by a scanned page WHEN parsing with ocr=auto THEN only the scan is OCR'd."""
    path = _merged_pdf(tmp_path, ("pdf_arxiv_2201.00200.pdf", [0]), ("pdf_scan_ocr_test.pdf", [0]))
    _, document = parse(path)
    assert document.signals["ocr_pages"] == 1
    assert document.signals["pages"] == 2 and document.signals["empty_pages"] == 0
    assert "Local heating due to convective overshooting" in _page_text(document, 1)
    assert (
        _page_text(document, 2)
        == "Docling bundles PDF document conversion to JSON and Markdown in an easy self contained package"
    )


def test_born_digital_pdf_has_no_ocr_signals() -> None:
    _, document = parse(corpus("pdf_arxiv_2201.00200.pdf"))
    assert "ocr_pages" not in document.signals


def test_always_prefers_ocr_over_a_text_layer() -> None:
    """GIVEN a scan whose embedded OCR layer runs words together ("Servingretirees")."""
    _, layer = parse(corpus("pdf_scan_scanned.pdf"), ocr="auto")
    _, document = parse(corpus("pdf_scan_scanned.pdf"), ocr="always")
    assert "Servingretirees" in to_text(layer)
    assert document.signals["ocr_pages"] == 1
    assert "Servingretirees" not in to_text(document)
    assert "retirees" in to_text(document)


def test_ocr_page_cap(tmp_path: Path) -> None:
    _, document = parse(corpus("pdf_scan_nemotron_multipage.pdf"), ocr_max_pages=1)
    assert document.signals["ocr_pages"] == 1
    assert document.signals["empty_pages"] == 3
    assert "3 pages beyond this pipeline's OCR limit of 1 pages were not read with OCR" in document.warnings


def test_blank_pages_are_not_sent_to_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN Tesseract behind a wrapper that logs each run WHEN a PDF has a blank page and a scanned one
    THEN only the scanned page is read: a blank page is recognised from its pixels."""
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "tesseract"
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec tesseract "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv(ocr.TESSERACT_ENV, str(wrapper))
    merged = pdfium.PdfDocument.new()
    merged.new_page(612, 792)
    merged.import_pages(pdfium.PdfDocument(corpus("pdf_scan_tika_testOCR.pdf")), [0])
    path = tmp_path / "blank.pdf"
    merged.save(path)
    _, document = parse(path)
    assert document.signals["ocr_pages"] == 1
    assert document.signals["empty_pages"] == 1
    assert log.read_text().split() == ["--list-langs", "stdin"]


def test_language_option_reaches_tesseract() -> None:
    _, german = parse(corpus("pdf_scan_image_only_german.pdf"), ocr_languages=["deu"], ocr_max_pages=1)
    assert "München" in to_text(german)
    assert "Ludwigstraße" in to_text(german)


def test_missing_engine_keeps_text_pages_and_warns(tmp_path: Path, no_tesseract: None) -> None:
    """GIVEN Tesseract is not installed WHEN a PDF has a text page and a scanned page
    THEN the job succeeds with the text, a warning says what was not read, and the quality score shows it."""
    path = _merged_pdf(tmp_path, ("pdf_arxiv_2201.00200.pdf", [0]), ("pdf_scan_ocr_test.pdf", [0]))
    result = run_pipeline(source(path), default_stages())
    assert "Local heating due to convective overshooting" in result["text"]
    assert "OCR engine not installed: 1 page without text was not read" in result["quality"]["warnings"]
    assert "1 of 2 pages has no text — a scan without OCR?" in result["quality"]["warnings"]
    assert result["quality"]["score"] <= 0.7


def test_missing_engine_on_a_scan_only_pdf_fails_with_the_hint(no_tesseract: None) -> None:
    with pytest.raises(PipelineFailed) as failure:
        run_pipeline(source(corpus("pdf_scan_ocr_test.pdf")), default_stages())
    assert failure.value.error["type"] == "empty_document"
    assert failure.value.error["stage"] == "parse"
    assert "OCR engine not installed: 1 page without text was not read" in failure.value.error["message"]


def test_missing_engine_signals_reach_quality(no_tesseract: None) -> None:
    _, document = parse(corpus("pdf_scan_ocr_test.pdf"))
    assert document.signals["ocr_available"] is False
    quality = assess_quality(document, to_text(document))
    assert quality["score"] == 0.0
    assert "OCR engine not installed: 1 page without text was not read" in quality["warnings"]


def test_installed_languages_lists_tesseracts_data() -> None:
    languages = ocr.installed_languages()
    assert languages is not None
    assert {"eng", "deu", "fra", "spa"} <= languages
    assert "osd" not in languages


def test_installed_languages_is_none_without_the_program(no_tesseract: None) -> None:
    assert ocr.installed_languages() is None


def test_missing_language_falls_back_with_a_warning() -> None:
    assert ocr.resolve_languages(["deu", "eng"]) == ("deu+eng", [])
    assert ocr.resolve_languages(["eng", "zzz"]) == ("eng", ["OCR languages not installed: zzz; read with eng"])
    assert ocr.resolve_languages(["zzz"]) == ("eng", ["OCR languages not installed: zzz; read with eng"])


def _parse_stage(**options) -> list[dict]:
    stages = [config.to_dict() for config in default_stages()]
    stages[2] = StageConfig("parse", options).to_dict()
    return stages


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        (["eng", "xyz"], "language 'xyz' is not installed; installed: deu, eng, fra, spa"),
        (["en"], "'en' is not a Tesseract language code (three letters, e.g. eng, deu, chi_sim)"),
        (["eng\n"], "'eng\\n' is not a Tesseract language code (three letters, e.g. eng, deu, chi_sim)"),
        (["osd"], "'osd' is not a Tesseract language code (three letters, e.g. eng, deu, chi_sim)"),
        (["eng; rm -rf /"], "'eng; rm -rf /' is not a Tesseract language code (three letters, e.g. eng, deu, chi_sim)"),
        ([], 'must name at least one language, e.g. ["eng"]'),
        (["eng", "eng"], "lists a language more than once"),
        ("eng", "must be a list of strings"),
    ],
)
def test_ocr_languages_are_validated_when_a_pipeline_is_saved(languages, message: str) -> None:
    _, errors = validate_stages(_parse_stage(ocr_languages=languages))
    assert [error.to_dict() for error in errors] == [{"field": "stages[2].options.ocr_languages", "message": message}]


def test_installed_languages_pass_validation() -> None:
    _, errors = validate_stages(_parse_stage(ocr_languages=["deu", "eng", "fra", "spa"]))
    assert errors == []


def test_without_tesseract_well_formed_languages_are_accepted(no_tesseract: None) -> None:
    """The web server may run without Tesseract; the worker warns at run time instead."""
    _, errors = validate_stages(_parse_stage(ocr_languages=["xyz"]))
    assert errors == []


def test_parse_tsv_groups_words_into_lines_and_paragraphs() -> None:
    rows = [
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
        "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t",
        "4\t1\t1\t1\t1\t0\t0\t0\t10\t10\t-1\t",
        "5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t90\tHello",
        "5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t80\tworld,",
        "5\t1\t1\t1\t2\t1\t0\t0\t10\t10\t70\tagain.",
        "5\t1\t1\t1\t2\t2\t0\t0\t10\t10\t95\t ",
        "5\t1\t2\t1\t1\t1\t0\t0\t10\t10\t60\tNext",
    ]
    page = ocr.parse_tsv("\n".join(rows) + "\n")
    assert page.paragraphs == [["Hello world,", "again."], ["Next"]]
    assert page.words == 4
    assert page.confidence == 75.0
    # The words keep their boxes and lines; the layout rows (conf -1) and the blank word are no words.
    assert [(box.text, box.line) for box in page.boxes] == [
        ("Hello", (1, 1, 1)),
        ("world,", (1, 1, 1)),
        ("again.", (1, 1, 2)),
        ("Next", (2, 1, 1)),
    ]
    assert (page.boxes[0].left, page.boxes[0].top, page.boxes[0].width, page.boxes[0].height) == (0, 0, 10, 10)


def test_ocr_blocks_join_lines_and_find_list_items() -> None:
    paragraphs = [["A para-", "graph on state-of-the-", "art lines"], ["• one item", "continues", "• two"]]
    assert ocr_blocks(paragraphs) == [
        ("paragraph", "A paragraph on state-of-the-art lines"),
        ("list_item", "one item continues"),
        ("list_item", "two"),
    ]


def test_missing_engine_with_fail_on_empty_off_succeeds_empty(no_tesseract: None) -> None:
    stages = default_stages()
    stages[-1] = StageConfig("output", {"fail_on_empty": False})
    result = run_pipeline(source(corpus("pdf_scan_ocr_test.pdf")), stages)
    assert result["text"] == ""
    assert "OCR engine not installed: 1 page without text was not read" in result["quality"]["warnings"]


FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LINES = [
    (24, "Annual results"),
    (12, "Revenue grew in every region, quickly."),
    (12, "summary of our common views"),
    (10, "more are seen"),
]


def _font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (fonts-dejavu-core); Pillow's bundled scalable font where it is missing."""
    return ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default(size)


def _text_page(lines: list[tuple[int, str]], dpi: int = 300) -> tuple[Image.Image, list[tuple[float, ...]]]:
    """Lines of text at known point sizes, and the box (points) of each line's first word's ink."""
    image = Image.new("L", (2000, 300 + len(lines) * 160), 255)
    draw = ImageDraw.Draw(image)
    boxes = []
    y = 150
    for points, text in lines:
        font = _font(round(points * dpi / 72))
        draw.text((200, y), text, font=font, fill=0)
        alone = Image.new("L", image.size, 0)
        ImageDraw.Draw(alone).text((200, y), text.split()[0], font=font, fill=255)
        boxes.append(tuple(value * 72 / dpi for value in alone.getbbox()))
        y += round(points * dpi / 72 * 2)
    return image, boxes


def test_ocr_words_in_points_with_one_font_size_per_line() -> None:
    """GIVEN lines set at 24, 12, 12 and 10 pt at 300 dpi, with and without capitals, ascenders and descenders
    THEN every word's box is where its ink was drawn, in points, one size per line, each within 15 % of the
    set size (x-height-only lines vary most: DejaVu's x-height is 5 % above the typical Latin font's)."""
    image, boxes = _text_page(LINES)
    page = ocr.recognise(image, "eng", 300)
    page_input = ocr_words.ocr_page_input(page, 3, image.width * 0.24, image.height * 0.24, 300, image)
    assert (page_input.number, page_input.source, page_input.rotation) == (3, "ocr", 0)
    assert (page_input.width, page_input.height) == (image.width * 0.24, image.height * 0.24)
    assert " ".join(word.text for word in page_input.words) == " ".join(text for _, text in LINES)
    starts = [word for word in page_input.words if word.text in {text.split()[0] for _, text in LINES}]
    for word, box, (points, _) in zip(starts, boxes, LINES, strict=True):
        assert (word.x0, word.y0, word.x1, word.y1) == pytest.approx(box, abs=1.0)
        assert word.size == pytest.approx(points, rel=0.15)
        assert not word.bold
    by_line: dict[float, set[float]] = {}
    for word in page_input.words:
        by_line.setdefault(round(word.y1), set()).add(word.size)
    assert all(len(sizes) == 1 for sizes in by_line.values())
    assert page_input.rules == []


def test_small_print_boxes_are_fitted_to_the_ink() -> None:
    """GIVEN 16 px table rows of a screenshot, enlarged 2x as the image parser does: Tesseract boxes some
    words (the first of a row) a third of a line taller than their letters THEN every word has the same size."""
    image = Image.new("L", (900, 260), 255)
    draw = ImageDraw.Draw(image)
    for row, cells in enumerate([("baseline", "0.812", "12.5"), ("distilled", "0.853", "9.1")]):
        for column, cell in enumerate(cells):
            draw.text((20 + column * 150, 20 + row * 40), cell, font=_font(16), fill=0)
    enlarged = image.resize((1800, 520), Image.Resampling.LANCZOS)
    page = ocr.recognise(enlarged, "eng")
    page_input = ocr_words.ocr_page_input(page, 1, 900, 260, 144, enlarged)
    assert [word.text for word in page_input.words] == ["baseline", "0.812", "12.5", "distilled", "0.853", "9.1"]
    assert all(word.size == pytest.approx(16, rel=0.1) for word in page_input.words)


@pytest.mark.parametrize(
    ("turn", "rotation"),
    [(180, 180), (90, 270)],
    ids=["upside-down (orientation detection)", "sideways (read by Tesseract as it lies)"],
)
def test_turned_page_words_are_upright_and_map_back_onto_the_page(turn: int, rotation: int) -> None:
    """GIVEN a page image turned ``turn`` degrees clockwise WHEN read THEN the words are in the upright frame, in
    reading order, the page says how far it was turned, and ``displayed_bbox`` puts a word back where it lies."""
    upright, boxes = _text_page(LINES[1:3])
    shown = upright.rotate(-turn, expand=True)
    page = ocr.recognise(shown, "eng", 300)
    assert page.rotation == rotation
    width, height = shown.width * 0.24, shown.height * 0.24
    page_input = ocr_words.ocr_page_input(page, 1, width, height, 300, shown)
    assert (page_input.width, page_input.height) == pytest.approx((upright.width * 0.24, upright.height * 0.24))
    assert " ".join(word.text for word in page_input.words) == " ".join(text for _, text in LINES[1:3])
    first = page_input.words[0]
    assert (first.x0, first.y0, first.x1, first.y1) == pytest.approx(boxes[0], abs=1.0)
    x0, y0, x1, y1 = boxes[0]
    # Turned 90 degrees clockwise, the upright page's left edge is the displayed page's top (its height, its width).
    expected = {180: (width - x1, height - y1, width - x0, height - y0), 90: (width - y1, x0, width - y0, x1)}
    shown_box = displayed_bbox((first.x0, first.y0, first.x1, first.y1), rotation, page_input.width, page_input.height)
    assert shown_box == pytest.approx(expected[turn], abs=1.0)


def test_heading_strokes_are_not_rules_but_a_border_is() -> None:
    """GIVEN a 24 pt heading whose "TT" bars and stems look like short rules to the pixels alone, over a rule."""
    image = Image.new("L", (2480, 900), 255)
    draw = ImageDraw.Draw(image)
    draw.text((200, 150), "ATTITUDE", font=_font(100), fill=0)
    draw.line([(200, 600), (2200, 600)], fill=0, width=4)
    assert len(find_rules(image, 300)) > 1  # the strokes, found in the pixels
    page_input = ocr_words.ocr_page_input(ocr.recognise(image, "eng", 300), 1, 595.2, 216, 300, image)
    (rule,) = page_input.rules
    assert rule.horizontal and rule.y0 < 600 * 0.24 < rule.y1


def _box(text: str, left: int, top: int, confidence: float = 95.0) -> ocr.OcrWord:
    return ocr.OcrWord(text, left, top, 40, 50, confidence, (1, 1, 1))


def test_borders_read_as_text_and_specks_are_not_words() -> None:
    """GIVEN Tesseract's words for a cell border read as "|", a speck read as "." at confidence 12, and a real
    dash (a value meaning "none") away from any rule THEN only the real words are layout words."""
    image = Image.new("L", (1000, 600), 255)
    ImageDraw.Draw(image).line([(500, 50), (500, 550)], fill=0, width=3)
    page = ocr.OcrPage(
        boxes=[_box("Total", 100, 100), _box("|", 480, 100), _box(".", 300, 300, 12.0), _box("—", 700, 100)]
    )
    page_input = ocr_words.ocr_page_input(page, 1, 240, 144, 300, image)
    assert [word.text for word in page_input.words] == ["Total", "—"]
    (rule,) = page_input.rules
    assert (rule.x0, rule.y0, rule.x1, rule.y1) == pytest.approx((119.6, 12.0, 120.4, 132.0), abs=0.5)
