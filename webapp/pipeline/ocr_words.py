"""OCR words as layout input: Tesseract's word boxes (pixels) turned into ``layout.model.Word``s in points.

Font sizes are estimated per line from the word boxes and the letters they hold (capitals, x-height, descenders);
specks and border strokes read as letters are dropped.
"""

from __future__ import annotations

from PIL import Image

from webapp.pipeline.layout.model import PageInput, Rule, Word
from webapp.pipeline.ocr import OcrPage, OcrWord
from webapp.pipeline.ocr_rules import drop_text_strokes, find_rules, turn_box

# A word with no letter or digit read with less confidence than this is a speck or a stroke, not text.
NOISE_CONFIDENCE = 30.0
# Characters a ruling line is read as; such a word lying on a rule is the rule.
_LINE_ART = frozenset("|¦!_-‐–—―=~[](){}/\\Il1.,:;'\"`")
_X_HEIGHT = frozenset("acemnorsuvwxz.,-:;~")
_DESCENDERS = frozenset("gjpqyQ()[]{}|,;")


def ocr_page_input(
    page: OcrPage,
    number: int,
    width_pt: float,
    height_pt: float,
    dpi: float,
    image: Image.Image | None,
    *,
    rules: list[Rule] | None = None,
) -> PageInput:
    """Layout input for one OCR'd page: its words in points, and the ruling lines found in ``image``.

    ``width_pt`` x ``height_pt`` is the page as displayed, ``image`` the image given to ``recognise`` (displayed
    orientation) and ``dpi`` its pixels per inch. ``rules`` instead of ``image``: lines ``find_rules`` found
    in it already (while Tesseract was reading). Layout needs upright text, so a page Tesseract read turned
    (``page.rotation``) is given in that upright frame: width and height swap for 90 and 270 degrees, and
    ``PageInput.rotation`` says by how much; ``ocr_rules.displayed_bbox`` turns a box back onto the page.
    """
    scale = 72.0 / dpi
    if rules is None:
        rules = find_rules(image, dpi) if image is not None else []
    rules = [turn_box(rule, page.rotation, width_pt, height_pt) for rule in rules]
    words = _layout_words(page.boxes, scale, rules)
    rules = drop_text_strokes(rules, words)
    width, height = (height_pt, width_pt) if page.rotation in (90, 270) else (width_pt, height_pt)
    return PageInput(number, width, height, page.rotation, "ocr", words, rules)


def _layout_words(boxes: list[OcrWord], scale: float, rules: list[Rule]) -> list[Word]:
    """Words in points, each sized from its line's height; border pieces and noise read as text left out."""
    kept = [box for box in boxes if not _noise(box, scale, rules)]
    heights: dict[tuple[int, int, int], list[OcrWord]] = {}
    for box in kept:
        heights.setdefault(box.line, []).append(box)
    sizes = {line: _font_size(words) * scale for line, words in heights.items()}
    return [
        Word(
            box.text,
            box.left * scale,
            box.top * scale,
            (box.left + box.width) * scale,
            (box.top + box.height) * scale,
            round(sizes[box.line], 1),
            paragraph=box.line[0] * 10_000 + box.line[1],
        )
        for box in kept
    ]


def _noise(box: OcrWord, scale: float, rules: list[Rule]) -> bool:
    """A word that is not text: a table border read as "|" or "—", or a speck read with no letter or digit."""
    if box.confidence < NOISE_CONFIDENCE and not any(char.isalnum() for char in box.text):
        return True
    if rules and all(char in _LINE_ART for char in box.text):
        x0, y0 = box.left * scale, box.top * scale
        x1, y1 = x0 + box.width * scale, y0 + box.height * scale
        return any(rule.x0 <= x1 and x0 <= rule.x1 and rule.y0 <= y1 and y0 <= rule.y1 for rule in rules)
    return False


def _font_size(words: list[OcrWord]) -> float:
    """A line's font size (pixels): the median of its words' heights, each divided by the part of the em its
    characters reach.

    A word's (ink) box runs from its tallest character's top to its lowest descender: "Results" spans about
    0.72 em (cap height), "summary" 0.52 + 0.22 em, "Typography" 0.94 em (Arial, DejaVu and Times differ by
    ~5 %). The median keeps one odd box (a stroke crossing it) from resizing the line.
    """
    texts = [word for word in words if any(char.isalnum() for char in word.text)] or words
    sizes = sorted(word.height / _em_span(word.text) for word in texts)
    return sizes[len(sizes) // 2]


def _em_span(text: str) -> float:
    above = 0.52 if all(char in _X_HEIGHT for char in text) else 0.72
    return above + (0.22 if any(char in _DESCENDERS for char in text) else 0.0)
