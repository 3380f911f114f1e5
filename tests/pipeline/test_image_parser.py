"""Images read with OCR: corpus images, pages of a TIFF, transparency, 16-bit samples, bombs and broken files; tables
in screenshots, page sizes and boxes in points, turned pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.metrics import token_f1
from tests.pipeline.helpers import best_parser, corpus, expected_text, parse, source
from tests.pipeline.hostile import png_bomb, text_image
from webapp.pipeline.config import default_stages
from webapp.pipeline.document import Detection, Page
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.parsers.image import ImageParser
from webapp.pipeline.render import to_markdown, to_text
from webapp.pipeline.runner import PipelineFailed, run_pipeline

PNG = Detection("image/png")
LINES = ["Quarterly report for the board", "Revenue grew in every region"]
FONTS = Path("/usr/share/fonts/truetype/dejavu")
RESULTS = [
    ["Model", "Accuracy", "Recall", "Latency (ms)"],
    ["baseline", "0.812", "0.790", "12.5"],
    ["large-v2", "0.874", "0.861", "48.0"],
    ["distilled", "0.853", "0.840", "9.1"],
    ["ensemble", "0.889", "0.877", "96.3"],
]


def _parse_png(path: Path, **options):
    return ImageParser().parse(source(path), PNG, {"ocr": "auto", "ocr_languages": ["eng"], **options})


def test_webp_matches_ground_truth() -> None:
    _, document = parse(corpus("img_docling_webp-test.webp"))
    assert token_f1(to_markdown(document), expected_text("img_docling_webp-test.webp")) >= 0.95
    assert document.signals["ocr_pages"] == 1 and document.signals["ocr_confidence"] > 85
    assert document.metadata == {"format": "WEBP", "width": 2000, "height": 2829, "page_count": 1}


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("img_tika_testOCR.png", ["This file contains some words."]),
        # 800 x 1000 without a resolution: enlarged before OCR, else "Bill Ta" at confidence 68.
        ("img_invoice_image.png", ["INVOICE", "Bill To:", "123 Main St", "Date: 2025-07-10"]),
    ],
)
def test_corpus_images_are_read(name: str, words: list[str]) -> None:
    _, document = parse(corpus(name))
    text = to_text(document)
    for word in words:
        assert word in text
    assert document.signals["ocr_confidence"] > 85


def test_image_mime_types_go_to_the_image_parser() -> None:
    for mime in ("image/png", "image/jpeg", "image/tiff", "image/webp", "image/gif", "image/bmp", "image/x-ms-bmp"):
        assert best_parser(mime).name == "image"


def test_every_tiff_page_is_read(tmp_path: Path) -> None:
    first, second = text_image(LINES[:1]), text_image(LINES[1:])
    path = tmp_path / "scan.tiff"
    first.save(path, save_all=True, append_images=[second], compression="tiff_deflate")
    _, document = parse(path)
    assert document.signals["pages"] == 2 and document.signals["ocr_pages"] == 2
    assert [(element.type, element.page) for element in document.elements] == [
        ("paragraph", 1),
        ("page_break", 2),
        ("paragraph", 2),
    ]
    assert to_text(document) == "\n\n".join(LINES)
    assert [(page.number, page.source) for page in document.pages] == [(1, "ocr"), (2, "ocr")]


def test_animated_gif_reads_its_first_frame_only(tmp_path: Path) -> None:
    path = tmp_path / "animated.gif"
    text_image(LINES[:1]).save(path, save_all=True, append_images=[text_image(LINES[1:])] * 3, duration=100)
    _, document = parse(path)
    assert document.signals["pages"] == 1
    assert to_text(document) == LINES[0]


def test_text_on_a_transparent_background_stays_readable(tmp_path: Path) -> None:
    """GIVEN black text on transparent pixels (a plain gray conversion turns the whole image black)."""
    path = tmp_path / "transparent.png"
    text_image(LINES, mode="RGBA").save(path)
    assert to_text(_parse_png(path)).split() == " ".join(LINES).split()


def test_sixteen_bit_gray_is_scaled_not_clipped(tmp_path: Path) -> None:
    """GIVEN 16-bit samples whose darkest ink is 2000 (a plain conversion clips everything above 255 to white)."""
    path = tmp_path / "deep.png"
    eight_bit = text_image(LINES)
    eight_bit.convert("I").point(lambda value: value * 200 + 2000).convert("I;16").save(path)
    with Image.open(path) as saved:
        assert saved.mode.startswith("I;16")
    assert LINES[0] in to_text(_parse_png(path))


def test_blank_image_is_an_empty_document(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.new("L", (600, 400), 250).save(path)
    document = _parse_png(path)
    assert document.elements == []
    assert document.signals == {"pages": 1, "empty_pages": 1, "ocr_pages": 0}


def test_decompression_bomb_is_a_limit(tmp_path: Path) -> None:
    """GIVEN a 150 KB PNG of 30000 x 30000 pixels THEN it is refused from its header, before any decoding."""
    path = png_bomb(tmp_path / "bomb.png")
    assert path.stat().st_size < 200_000
    with pytest.raises(LimitExceededError, match="too large to decode safely"):
        _parse_png(path)


def test_image_just_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    """Between Pillow's warning and error thresholds (100-200 megapixels) the warning is an error too."""
    path = png_bomb(tmp_path / "big.png", side=12_000)
    with pytest.raises(LimitExceededError):
        _parse_png(path)


def test_truncated_image_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "truncated.png"
    path.write_bytes(corpus("img_tika_testOCR.png").read_bytes()[:3000])
    with pytest.raises(CorruptFileError, match="the image cannot be read"):
        _parse_png(path)


def test_garbage_after_a_png_signature_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "garbage.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(CorruptFileError, match="unknown or damaged image data"):
        _parse_png(path)


def test_ocr_never_leaves_an_image_unread(tmp_path: Path) -> None:
    document = _parse_png(corpus("img_tika_testOCR.png"), ocr="never")
    assert document.elements == []
    assert document.warnings == ["OCR is turned off for this pipeline (parse.ocr = never): the image was not read"]


def test_image_without_ocr_engine_fails_with_the_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCPIPE_TESSERACT_CMD", str(tmp_path / "missing"))
    with pytest.raises(PipelineFailed) as failure:
        run_pipeline(source(corpus("img_tika_testOCR.png")), default_stages())
    assert failure.value.error == {
        "type": "empty_document",
        "message": "no text could be extracted: OCR engine not installed: 1 page without text was not read "
        "(install tesseract-ocr)",
        "stage": "parse",
        "retryable": False,
    }


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """DejaVu (fonts-dejavu-core); Pillow's bundled scalable font where it is missing."""
    path = FONTS / name
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def _results_screenshot(ruled: bool) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A 16 px results table under its caption, as a browser shows it: bold header row, gray one-pixel borders
    when ``ruled``, and the box (pixels) the table's grid spans."""
    regular, bold = _font("DejaVuSans.ttf", 16), _font("DejaVuSans-Bold.ttf", 16)
    widths = [max(int(bold.getlength(row[column])) for row in RESULTS) + 50 for column in range(len(RESULTS[0]))]
    left, top, height = 30, 70, 40
    image = Image.new("RGB", (sum(widths) + 2 * left, top + height * len(RESULTS) + 60), "white")
    draw = ImageDraw.Draw(image)
    draw.text((left, 20), "Table 2: Results on the test set", font=regular, fill="black")
    edges = [left]
    for width in widths:
        edges.append(edges[-1] + width)
    for number, row in enumerate(RESULTS):
        for column, cell in enumerate(row):
            xy = (edges[column] + 10, top + number * height + 10)
            draw.text(xy, cell, font=bold if number == 0 else regular, fill="black")
    bottom = top + height * len(RESULTS)
    if ruled:
        for y in range(top, bottom + 1, height):
            draw.line([(left, y), (edges[-1], y)], fill=(110, 110, 110), width=1)
        for x in edges:
            draw.line([(x, top), (x, bottom)], fill=(110, 110, 110), width=1)
    return image, (left, top, edges[-1], bottom)


@pytest.mark.parametrize("ruled", [True, False], ids=["borders", "no-borders"])
def test_screenshot_of_a_results_table_is_a_table(tmp_path: Path, ruled: bool) -> None:
    """GIVEN a PNG screenshot of a results table (no resolution stated: a pixel is a point)
    THEN the caption is a paragraph and the table one table with every cell, not lines of text."""
    image, grid = _results_screenshot(ruled)
    path = tmp_path / "results.png"
    image.save(path)
    _, document = parse(path)
    assert [table.rows for table in document.tables] == [RESULTS]
    assert document.tables[0].header_rows == 1
    assert [(element.type, element.text) for element in document.elements] == [
        ("paragraph", "Table 2: Results on the test set"),
        ("table", "\n".join("\t".join(row) for row in RESULTS)),
    ]
    assert document.pages == [Page(1, image.width, image.height, 0, "ocr")]
    x0, y0, x1, y1 = document.tables[0].bbox
    # The table's box covers its text (inside the borders when there are borders).
    assert grid[0] - 2 <= x0 <= grid[0] + 20 and grid[1] - 2 <= y0 <= grid[1] + 20
    assert grid[2] - 150 <= x1 <= grid[2] + 2 and grid[3] - 20 <= y1 <= grid[3] + 2


def test_page_size_and_boxes_are_in_points_at_the_image_resolution(tmp_path: Path) -> None:
    """GIVEN a 300 dpi scan (1275 x 600 pixels) with a line of text at a known place
    THEN the page is 306 x 144 points and the paragraph's box is where the text was drawn, in points."""
    image = Image.new("L", (1275, 600), 255)
    draw = ImageDraw.Draw(image)
    font = _font("DejaVuSans.ttf", 50)
    draw.text((150, 250), LINES[1], font=font, fill=0)
    drawn = [value * 72 / 300 for value in draw.textbbox((150, 250), LINES[1], font=font)]
    path = tmp_path / "scan.png"
    image.save(path, dpi=(300, 300))
    _, document = parse(path)
    assert document.pages == [Page(1, 306.0, 144.0, 0, "ocr")]
    (element,) = document.elements
    assert (element.type, element.text) == ("paragraph", LINES[1])
    assert element.bbox == pytest.approx(drawn, abs=2)


def test_upside_down_image_is_read_upright_with_boxes_as_displayed(tmp_path: Path) -> None:
    """GIVEN a photo of a page held upside down THEN it reads in order, the page says it was turned 180 degrees
    to be read, and the paragraphs' boxes lie where they are in the image as shown."""
    upright = Image.new("L", (1600, 700), 255)
    draw = ImageDraw.Draw(upright)
    font = _font("DejaVuSans.ttf", 40)
    draw.text((100, 100), LINES[0], font=font, fill=0)
    draw.text((100, 500), LINES[1], font=font, fill=0)
    first = draw.textbbox((100, 100), LINES[0], font=font)
    path = tmp_path / "upside-down.png"
    upright.rotate(180).save(path, dpi=(144, 144))
    _, document = parse(path)
    assert [element.text for element in document.elements] == LINES
    assert document.pages[0].rotation == 180
    shown = [(1600 - first[2]) / 2, (700 - first[3]) / 2, (1600 - first[0]) / 2, (700 - first[1]) / 2]
    # Within 3 points (6 pixels): the drawn box counts the letters' side bearings, the found one their ink.
    assert document.elements[0].bbox == pytest.approx(shown, abs=3)


def test_exif_turned_photo_has_its_displayed_size(tmp_path: Path) -> None:
    """GIVEN a JPEG stored sideways with EXIF orientation 6 (turn 90 degrees clockwise to show)."""
    shown = text_image(LINES)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "photo.jpg"
    shown.rotate(90, expand=True).save(path, exif=exif, quality=95)
    _, document = parse(path)
    # Two lines a line and a half apart, in one Tesseract paragraph: one paragraph or two, the words are these.
    assert to_text(document).split() == " ".join(LINES).split()
    assert document.pages == [Page(1, shown.width, shown.height, 0, "ocr")]
