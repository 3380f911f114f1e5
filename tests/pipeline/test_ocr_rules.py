"""Ruling lines found in page images drawn with Pillow: grids, skew, breaks, fills, text that must not count."""

from __future__ import annotations

import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.pipeline.helpers import corpus
from webapp.pipeline.layout.model import RULE_MAX_THICKNESS, Rule, Word
from webapp.pipeline.ocr_rules import displayed_bbox, drop_text_strokes, find_rules, turn_box

DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi
FONTS = Path("/usr/share/fonts/truetype/dejavu")
BODY = "Revenue grew in every region, while costs fell; the margin improved by 4.2 points (see Table 3)."


def font(size: int, name: str = "DejaVuSans.ttf") -> ImageFont.FreeTypeFont:
    """DejaVu (fonts-dejavu-core); Pillow's bundled scalable font where it is missing."""
    path = FONTS / name
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def pt(pixels: float) -> float:
    return pixels * 72 / DPI


def _page() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", A4, 255)
    return image, ImageDraw.Draw(image)


def _horizontal(rules: list[Rule]) -> list[Rule]:
    return sorted((rule for rule in rules if rule.horizontal), key=lambda rule: rule.y0)


def _vertical(rules: list[Rule]) -> list[Rule]:
    return sorted((rule for rule in rules if not rule.horizontal), key=lambda rule: rule.x0)


def test_a_ruled_grid_gives_each_line_once_at_its_place() -> None:
    image, draw = _page()
    xs, ys = [300, 900, 1500, 2100], [1000, 1100, 1200, 1300, 1400]
    for y in ys:
        draw.line([(xs[0], y), (xs[-1], y)], fill=40, width=3)
    for x in xs:
        draw.line([(x, ys[0]), (x, ys[-1])], fill=40, width=3)
    rules = find_rules(image, DPI)
    horizontal, vertical = _horizontal(rules), _vertical(rules)
    assert len(horizontal) == len(ys) and len(vertical) == len(xs)
    for rule, y in zip(horizontal, ys, strict=True):
        assert rule.y0 <= pt(y + 1) <= rule.y1
        assert rule.x0 == pytest.approx(pt(xs[0]), abs=1.5) and rule.x1 == pytest.approx(pt(xs[-1]), abs=1.5)
    for rule, x in zip(vertical, xs, strict=True):
        assert rule.x0 <= pt(x + 1) <= rule.x1
        assert rule.y0 == pytest.approx(pt(ys[0]), abs=1.5) and rule.y1 == pytest.approx(pt(ys[-1]), abs=1.5)
    assert all(0 < rule.y1 - rule.y0 <= RULE_MAX_THICKNESS for rule in horizontal)


@pytest.mark.parametrize("face", ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf"])
def test_body_text_leaders_and_dashes_are_not_rules(face: str) -> None:
    """GIVEN a page of 8-14 pt text (300 dpi), dotted leaders, a dashed line and a row of hyphens
    (serifs along a baseline nearly touch: the letters' stems beside them tell them from a rule)."""
    image, draw = _page()
    y = 200
    for size in (33, 42, 50, 58):  # 8, 10, 12 and 14 pt
        for _ in range(6):
            draw.text((200, y), BODY[: 2000 // size * 2], font=font(size, face), fill=0)
            y += int(size * 1.4)
    draw.text((200, y), "Contents " + "." * 120 + " 12", font=font(42), fill=0)
    draw.text((200, y + 80), "- " * 60, font=font(42), fill=0)
    for x in range(200, 2200, 40):
        draw.line([(x, y + 200), (x + 20, y + 200)], fill=0, width=3)  # dashes half as long as the pattern
    assert find_rules(image, DPI) == []


def test_a_scanned_article_has_only_its_one_rule() -> None:
    """GIVEN the corpus scan of a magazine page: serif text on a light gray panel under one dark rule."""
    image = pdfium.PdfDocument(corpus("pdf_scan_eng-ocr.pdf"))[0].render(scale=DPI / 72).to_pil()
    (rule,) = find_rules(image, DPI)
    assert rule.horizontal and rule.x1 - rule.x0 > 450


def test_a_slightly_skewed_line_is_one_rule() -> None:
    """GIVEN a 2,000-pixel border drifting 35 pixels (1 degree), as a scan leaves it."""
    image, draw = _page()
    draw.line([(200, 1000), (2200, 1035)], fill=0, width=3)
    (rule,) = find_rules(image, DPI)
    assert rule.horizontal
    assert rule.x0 == pytest.approx(pt(200), abs=2) and rule.x1 == pytest.approx(pt(2200), abs=2)
    assert pt(1000) <= (rule.y0 + rule.y1) / 2 <= pt(1035)


def test_a_line_with_small_breaks_is_one_rule() -> None:
    """GIVEN a scanned rule with a 4-pixel dropout every 150 pixels."""
    image, draw = _page()
    for x in range(200, 2200, 150):
        draw.line([(x, 1500), (min(x + 146, 2200), 1500)], fill=0, width=2)
    (rule,) = find_rules(image, DPI)
    assert rule.x0 == pytest.approx(pt(200), abs=2) and rule.x1 == pytest.approx(pt(2200), abs=2)


def test_filled_areas_are_not_rules_but_their_borders_are() -> None:
    """GIVEN a black box, and a header band in Excel's 15 % gray with a dark rule above and below it."""
    image, draw = _page()
    draw.rectangle([300, 400, 900, 520], fill=0)
    draw.rectangle([300, 1000, 2100, 1100], fill=217)
    draw.line([(300, 1000), (2100, 1000)], fill=0, width=3)
    draw.line([(300, 1100), (2100, 1100)], fill=0, width=3)
    rules = find_rules(image, DPI)
    assert [round(pt(1001) - (rule.y0 + rule.y1) / 2) for rule in rules] == [0, round(pt(1001) - pt(1101))]


def test_short_strokes_are_not_rules() -> None:
    """The minimum is 3 % of the page's shorter side (74 pixels on A4 at 300 dpi)."""
    image, draw = _page()
    draw.line([(300, 500), (360, 500)], fill=0, width=2)
    draw.line([(300, 700), (400, 700)], fill=0, width=2)
    (rule,) = find_rules(image, DPI)
    assert rule.y0 < pt(701) < rule.y1


def test_a_screenshot_with_light_gray_hairlines() -> None:
    """GIVEN an 800 x 500 RGB screenshot (no shrinking) with one-pixel #999999 borders, read at 72 dpi."""
    image = Image.new("RGB", (800, 500), "white")
    draw = ImageDraw.Draw(image)
    for y in (50, 90, 130):
        draw.line([(40, y), (760, y)], fill=(153, 153, 153), width=1)
    draw.line([(400, 50), (400, 130)], fill=(153, 153, 153), width=1)
    rules = find_rules(image, 72)
    # A one-pixel line on row 50 covers 50 to 51 points: its centre is 50.5.
    assert [(rule.y0 + rule.y1) / 2 for rule in _horizontal(rules)] == pytest.approx([50.5, 90.5, 130.5], abs=0.5)
    assert [(rule.y0, rule.y1) for rule in _vertical(rules)] == [pytest.approx((50, 131), abs=1)]


def test_a_dark_mode_screenshot_has_light_rules() -> None:
    image = Image.new("L", (800, 500), 30)
    ImageDraw.Draw(image).line([(40, 200), (760, 200)], fill=200, width=2)
    (rule,) = find_rules(image, 72)
    assert rule.x0 == pytest.approx(40, abs=1) and rule.x1 == pytest.approx(760, abs=1)


def test_an_a4_page_at_300_dpi_takes_milliseconds() -> None:
    """Measured ~20 ms on the 2-core CI machine (idle); the bound leaves room for a busy one."""
    image, draw = _page()
    for row in range(40):
        draw.text((200, 200 + row * 60), BODY, font=font(42), fill=0)
    for y in range(2700, 3300, 100):
        draw.line([(200, y), (2280, y)], fill=0, width=3)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        find_rules(image, DPI)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.1


def test_rules_inside_one_word_are_strokes_of_its_letters() -> None:
    heading = Word("TITLE", 100, 100, 300, 140, 40)
    stroke = Rule(120, 102, 200, 106)  # the bar of a large "T"
    underline = Rule(90, 150, 310, 151)
    border = Rule(50, 90, 51, 400)
    assert drop_text_strokes([stroke, underline, border], [heading]) == [underline, border]


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_turned_boxes_come_back_to_the_displayed_page(degrees: int) -> None:
    """GIVEN a box on a 600 x 800 page WHEN the page is turned (as OCR reads it) and the box turned back."""
    width, height = 600.0, 800.0
    box = Rule(10, 20, 110, 50)
    turned = turn_box(box, degrees, width, height)
    upright = (height, width) if degrees in (90, 270) else (width, height)
    assert 0 <= turned.x0 < turned.x1 <= upright[0] and 0 <= turned.y0 < turned.y1 <= upright[1]
    assert displayed_bbox((turned.x0, turned.y0, turned.x1, turned.y1), degrees, *upright) == (10, 20, 110, 50)


def test_turning_a_quarter_clockwise_moves_the_top_left_corner_to_the_top_right() -> None:
    assert turn_box(Rule(0, 0, 10, 5), 90, 600, 800) == Rule(795, 0, 800, 10)
