"""The PDF parser with layout analysis: bounded by time, switchable off, and the same analysis on a scanned page."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.pipeline.helpers import corpus, parse
from webapp.pipeline.render import to_text

FONTS = Path("/usr/share/fonts/truetype/dejavu")
BULLETS = {"•", "*", "-", "–", "◦", "▪"}
SCANNED = [
    ["Depot", "Vans", "Drivers", "Routes"],
    ["Leeds", "42", "57", "18"],
    ["York", "31", "40", "12"],
    ["Hull", "27", "33", "11"],
]


def test_layout_that_runs_out_of_time_leaves_the_rest_as_plain_text():
    """GIVEN a 619-page PDF and a pipeline whose parse limit (1 s) leaves layout 0.4 s
    THEN the job still has every word, the later pages without boxes, and a layout_failed warning says where."""
    path = corpus("pdf_large_DA-619p.pdf")
    _, bounded = parse(path, ocr="never", timeout_seconds=1)
    _, plain = parse(path, ocr="never", layout=False)
    [warning] = [w for w in bounded.warnings if w.startswith("layout_failed")]
    assert "ran out of time at page" in warning
    stopped = int(warning.split("at page ")[1].split(";")[0])
    assert 1 < stopped < 619
    assert _words(to_text(bounded, keep_furniture=True)) == _words(to_text(plain))
    boxed = {element.page for element in bounded.elements if element.bbox is not None}
    assert boxed and max(boxed) < stopped
    assert [page.number for page in bounded.pages] == list(range(1, 620))


def _words(text: str) -> list[str]:
    # List markers are markup, not words: each path strips the bullets it recognises.
    return sorted(word for word in text.split() if word not in BULLETS)


def test_layout_off_gives_the_text_and_the_pages_without_boxes():
    _, document = parse(corpus("pdf_docling_2305.03393v1-pg9.pdf"), layout=False)
    assert document.tables == []
    assert all(element.bbox is None for element in document.elements)
    assert [(page.number, round(page.width), round(page.height)) for page in document.pages] == [(1, 612, 792)]
    assert "Hyper Parameter Optimization" in to_text(document)


def _ruled_table_scan(path: Path) -> None:
    """A ruled table printed and scanned at 200 dpi, saved as a one-page PDF (an image and no text layer)."""
    font = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 36)
    bold = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 36)
    page = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(page)
    draw.text((200, 260), "Depots at the end of the year, by city.", font=font, fill=0)
    left, top, width, height = 200, 400, 300, 80
    for number, row in enumerate(SCANNED):
        for column, cell in enumerate(row):
            xy = (left + column * width + 20, top + number * height + 18)
            draw.text(xy, cell, font=bold if number == 0 else font, fill=0)
    right, bottom = left + width * len(SCANNED[0]), top + height * len(SCANNED)
    for y in range(top, bottom + 1, height):
        draw.line([(left, y), (right, y)], fill=0, width=3)
    for x in range(left, right + 1, width):
        draw.line([(x, top), (x, bottom)], fill=0, width=3)
    page.save(path, "PDF", resolution=200)


def test_a_scanned_ruled_table_in_a_pdf_comes_out_as_a_table(tmp_path):
    """GIVEN a PDF page that is only a scan of a ruled table under a sentence
    THEN OCR words and the ruling lines found in the image give the table, every row exact, with boxes in points."""
    path = tmp_path / "scan.pdf"
    _ruled_table_scan(path)
    _, document = parse(path, ocr="auto")
    assert [table.rows for table in document.tables] == [SCANNED]
    assert document.tables[0].header_rows == 1
    assert document.pages[0].source == "ocr"
    assert round(document.pages[0].width) == 612 and round(document.pages[0].height) == 792
    x0, y0, x1, y1 = document.tables[0].bbox
    # The grid spans 200-1400 x 400-720 pixels at 200 dpi: 72-504 x 144-259 points.
    assert 70 <= x0 <= 90 and 140 <= y0 <= 160 and 440 <= x1 <= 506 and 240 <= y1 <= 262
    paragraphs = [element.text for element in document.elements if element.type == "paragraph"]
    assert paragraphs == ["Depots at the end of the year, by city."]
