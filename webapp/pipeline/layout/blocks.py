"""Lines in reading order -> blocks: paragraphs and list items, each with its box and its type style.

A block ends where the next line is not its continuation: a larger vertical gap than the page's usual line gap, a
change of font size or weight, no horizontal overlap (another column), a bullet, or a short line that ends a
sentence. Headings and page furniture are decided later, over the whole document (``headings``, ``furniture``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from statistics import median

from webapp.pipeline.layout.model import Line, union

_BULLET = re.compile(r"^([•◦▪▫■□●○‣⁃∙·*\-–➢➤►▶✓✔])\s*$|^([•◦▪▫■□●○‣⁃∙·➢➤►▶✓✔])\s*\S")
_ORDERED = re.compile(r"^(?:\(?\d{1,3}[.)]|\(?[a-z][.)]|\([ivx]{1,4}\))$")
_FACE_SUFFIX = re.compile(
    r"(?:MT|PS|Std|Pro|Regular|Book|Medium|Light|Thin|Bold|Black|Heavy|Semi|Demi|Italic|Oblique|It)*$",
    re.IGNORECASE,
)
# Fewer line gaps than this on a page and its usual gap is not measured but assumed.
MIN_GAPS = 3
_SENTENCE_END = (".", "!", "?", ":", ";", '"', "”", "’", ")")


@dataclass(slots=True)
class Block:
    lines: list[Line]
    page: int
    kind: str = "paragraph"
    # "top" or "bottom" when the block is in the page's margin zone and may be a running header or footer.
    zone: str = ""
    bbox: tuple[float, float, float, float] = field(default=(0.0, 0.0, 0.0, 0.0))

    @property
    def size(self) -> float:
        return self.lines[0].size

    @property
    def bold(self) -> bool:
        return all(line.bold for line in self.lines)

    @property
    def text(self) -> str:
        # A word PDFium found broken at the line end ("experi-" + "ence", its hyphen soft) is joined back whole.
        broken = [bool(line.words) and line.words[-1].hyphenated for line in self.lines]
        return join_lines([line.text for line in self.lines], broken)

    def add(self, line: Line) -> None:
        self.lines.append(line)
        self.bbox = union(self.bbox, (line.x0, line.y0, line.x1, line.y1))


def new_block(line: Line, page: int, zone: str = "") -> Block:
    block = Block([line], page, zone=zone, bbox=(line.x0, line.y0, line.x1, line.y1))
    _mark_list_item(block)
    return block


def build_blocks(lines: list[Line], page: int, zones: dict[int, str], exact: bool = True) -> list[Block]:
    """Group ``lines`` (in reading order) into blocks; ``zones`` marks lines (by index) in the margin zones.

    ``exact``: font sizes and names come from a text layer, so a change of half a point or of font family ends a
    block; OCR estimates sizes from the ink and knows no fonts, so there only a clear change of size counts.
    """
    usual_gap = _usual_gap(lines)
    blocks: list[Block] = []
    current: Block | None = None
    for index, line in enumerate(lines):
        zone = zones.get(index, "")
        if current is not None and not zone and not current.zone and _continues(current, line, usual_gap, exact):
            current.add(line)
            continue
        current = new_block(line, page, zone)
        blocks.append(current)
    for block in blocks:
        if block.kind == "list_item":
            _strip_marker(block)
    return blocks


def join_lines(texts: list[str], broken: list[bool] | None = None) -> str:
    """Lines of one block as one text; ``broken[i]``: line i ends in the first half of a word split at its end."""
    text = texts[0] if texts else ""
    for index, line in enumerate(texts[1:]):
        if broken is not None and broken[index]:
            text = text + line
        elif text.endswith("-") and line[:1].islower():
            # A hyphen left at a line end before a lower-case word is kept, without a space ("state-of-the-art").
            text = text + line
        else:
            text = text + " " + line
    return text


def _usual_gap(lines: list[Line]) -> float:
    """The page's typical gap between a line and the next one of the same paragraph.

    Measured where the page has lines enough to measure (a double-spaced filing keeps its wide gaps inside its
    paragraphs); on a page of two or three lines a gap wider than half a line is taken for a paragraph break.
    """
    gaps = []
    for previous, line in zip(lines, lines[1:], strict=False):
        gap = line.y0 - previous.y1
        if 0 <= gap < 1.5 * previous.size and abs(line.size - previous.size) < 0.5 and _overlap(previous, line) > 0:
            gaps.append(gap)
    size = lines[0].size if lines else 10.0
    if len(gaps) < MIN_GAPS:
        return min(median(gaps), 0.5 * size) if gaps else 0.3 * size
    return median(gaps)


def _overlap(a: Line, b: Line) -> float:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


def _continues(block: Block, line: Line, usual_gap: float, exact: bool) -> bool:
    previous = block.lines[-1]
    size = previous.size
    if _same_band(previous, line):
        # Split apart by a wide space on one baseline: "5.1   Hyper Parameter Optimization", "Table 1.  HPO ...",
        # or a bullet set in its own (smaller) font before its item.
        marker = len(block.lines) == 1 and len(previous.words) == 1 and _starts_item(previous, alone=True)
        return 0 <= line.x0 - previous.x1 <= 3 * size and (abs(line.size - size) <= 0.6 or marker)
    gap = line.y0 - previous.y1
    if gap < -0.3 * size or gap > usual_gap + 0.45 * size:
        return False
    if abs(line.size - size) > (0.4 if exact else max(0.6, 0.12 * size)) or line.bold != previous.bold:
        return False
    if exact and font_family(line_font(previous)) != font_family(line_font(line)):
        return False
    if previous.words and line.words and previous.words[-1].paragraph != line.words[0].paragraph:
        return False  # OCR's own paragraphs
    # The previous row whole: a justified line's words spread wide are split into pieces on one baseline.
    row_x0, row_x1 = _last_row(block)
    if min(row_x1, line.x1) - max(row_x0, line.x0) <= 0 or _starts_item(line):
        return False
    if previous.text.endswith(_SENTENCE_END) and _ends_short(block, line, row_x0, row_x1):
        return False
    if block.kind == "list_item" and previous.text.endswith(_SENTENCE_END) and line.x0 < _item_text_x0(block) - size:
        return False  # a finished item, then a line out at the bullet's margin: the text after the list
    # A first-line indent after a finished sentence starts a paragraph.
    return not (line.x0 > row_x0 + 1.2 * size and previous.text.endswith(_SENTENCE_END))


def _item_text_x0(block: Block) -> float:
    """Where a list item's text starts, after its bullet (its wrapped lines hang there, or under the bullet)."""
    first = block.lines[0]
    words = [word for line in block.lines if _same_band(line, first) for word in line.words]
    words.sort(key=lambda word: word.x0)
    if len(words) > 1 and _BULLET.match(words[0].text) and len(words[0].text.strip()) == 1:
        return min(words[1].x0, words[0].x0 + 2 * first.size)
    return first.x0


def _ends_short(block: Block, line: Line, row_x0: float, row_x1: float) -> bool:
    """Whether the block's last row stops short of its right edge by choice: it is short, and the next line's
    first word would have fitted after it (ragged text wraps a line only when the next word does not fit)."""
    right = max(block.bbox[2], line.x1)
    if row_x1 - row_x0 >= 0.7 * (right - min(block.bbox[0], line.x0)):
        return False
    first = line.words[0] if line.words else None
    space = 0.25 * line.size
    return first is None or right - row_x1 >= first.x1 - first.x0 + space


def _last_row(block: Block) -> tuple[float, float]:
    """The x-extent of the block's last row: its last line and the pieces before it on the same baseline."""
    last = block.lines[-1]
    x0, x1 = last.x0, last.x1
    for line in reversed(block.lines[:-1]):
        if not _same_band(line, last):
            break
        x0, x1 = min(x0, line.x0), max(x1, line.x1)
    return x0, x1


def line_font(line: Line) -> str:
    """The font most of the line's characters are set in ("" for OCR)."""
    weights: dict[str, int] = {}
    for word in line.words:
        weights[word.font] = weights.get(word.font, 0) + len(word.text)
    return max(weights, key=weights.__getitem__) if weights else ""


def monospaced(line: Line) -> bool:
    """Set in a fixed-width face (code), told from the glyphs themselves: every word as wide per character."""
    widths = [(word.x1 - word.x0) / len(word.text) for word in line.words if len(word.text) >= 2]
    if len(widths) < 2:
        return False
    return max(widths) <= 1.06 * min(widths)


def font_family(name: str) -> str:
    """ "KoPubDotumMedium" -> "kopubdotum", "Times-BoldItalic" -> "times": the face without weight and slant."""
    face = name.split("+", 1)[1] if len(name) > 7 and name[6] == "+" else name  # "ABCDEF+" marks a subset
    return _FACE_SUFFIX.sub("", face.split("-")[0].split(",")[0]).lower()


def _same_band(a: Line, b: Line) -> bool:
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap >= 0.5 * min(a.height, b.height)


def _starts_item(line: Line, alone: bool = False) -> bool:
    first = line.words[0].text if line.words else ""
    return bool(_BULLET.match(first) or (_ORDERED.match(first) and (alone or len(line.words) > 1)))


def _mark_list_item(block: Block) -> None:
    line = block.lines[0]
    first = line.words[0].text if line.words else ""
    # Numbered items keep their number in the text (a reader quotes "step 3"); they only start a new block.
    if _BULLET.match(first):
        block.kind = "list_item"


def _strip_marker(block: Block) -> None:
    """The marker is the list's, not the item's text: "• Ship it" -> "Ship it" (Markdown adds its own)."""
    line = block.lines[0]
    first = line.words[0]
    rest = line.words[1:]
    if len(first.text) > 1 and first.text[1:].strip():
        rest = [replace(first, text=first.text[1:].lstrip()), *rest]  # "•Ship" glued to its bullet
    if rest:
        block.lines[0] = Line(rest, line.x0, line.y0, line.x1, line.y1, line.size, line.bold)
