"""The input of layout analysis: one page's positioned words and ruling lines, in points, origin top-left."""

from __future__ import annotations

from dataclasses import dataclass, field

# A rule thinner than this (points) is a line, not a filled area.
RULE_MAX_THICKNESS = 2.5


BBox = tuple[float, float, float, float]


def union(a: BBox, b: BBox) -> BBox:
    """The smallest box holding both."""
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    # Font size in points (from the text layer, or the line height for OCR words).
    size: float
    bold: bool = False
    italic: bool = False
    # Font name without the subset prefix ("ABCDEF+Helvetica-Bold" -> "Helvetica-Bold"); "" when unknown (OCR).
    font: str = ""
    # The first half of a word hyphenated at a line end, whose hyphen PDFium removed ("experi" of "experi-|ence"):
    # the next word is its second half, on the next line; join the two without a space.
    hyphenated: bool = False
    # OCR: the paragraph Tesseract's own page analysis put the word in (-1: unknown). Lines of two paragraphs
    # are not joined into one block, whatever their spacing says.
    paragraph: int = -1


@dataclass(slots=True)
class Rule:
    """A ruling line (or a thin filled rectangle) drawn on the page: table borders, booktabs rules, underlines."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return (self.x1 - self.x0) >= (self.y1 - self.y0)


@dataclass(slots=True)
class PageInput:
    number: int
    width: float
    height: float
    rotation: int = 0
    source: str = "text"  # "text" | "ocr"
    # In the order the source gives them (content-stream order for a text layer, Tesseract's for OCR).
    words: list[Word] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    # True when the page had too many vector objects (a drawing, a map) for its rules to be read: ``rules`` is empty.
    rules_skipped: bool = False


@dataclass(slots=True)
class Line:
    """Words on one baseline, left to right, that belong together (a gap wider than a few spaces splits a line).

    Built by ``layout.lines.page_lines``; tables and paragraphs are made of these.
    """

    words: list[Word]
    x0: float
    y0: float
    x1: float
    y1: float
    # The line's font size: the most common size of its words, weighted by characters.
    size: float
    bold: bool = False

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(slots=True)
class PageTable:
    """A table found on one page: its cells row by row, how many header rows, and its box.

    Every word whose centre lies inside ``bbox`` belongs to the table (layout analysis leaves those words out of
    the page's prose), so the box is exactly the table's extent, without its caption.
    """

    rows: list[list[str]]
    bbox: tuple[float, float, float, float]
    header_rows: int = 0
    # Each column's left and right edge (points), for joining a table continued on the next page.
    columns: list[tuple[float, float]] = field(default_factory=list)
    # "ruled" (a full grid), "booktabs" (horizontal rules only) or "aligned" (whitespace only).
    kind: str = "ruled"


@dataclass(slots=True)
class Item:
    """One block or table of an analysed page, kept for the document-wide passes (furniture, headings, tables).

    Lighter than the words it was made of: a 1,000-page document keeps only these between pages.
    """

    kind: str  # paragraph | list_item | heading | title | page_header | page_footer | table
    text: str
    page: int
    bbox: tuple[float, float, float, float]
    size: float = 0.0
    bold: bool = False
    lines: int = 1
    # "top" / "bottom": in the page's margin zone, so possibly a running header or footer.
    zone: str = ""
    level: int | None = None
    table: PageTable | None = None
    # A table joined with its continuation: every page it spans.
    pages: list[int] = field(default_factory=list)
    # The text ends in the first half of a word broken at the line end (joined without a space when rejoined).
    broken_end: bool = False
    # Its last line runs to its right edge: a sentence ending there may go on in the next line (justified text).
    full_end: bool = False
    # The font of its first line ("" for OCR and tables), and whether that line is set in a fixed-width face.
    font: str = ""
    mono: bool = False
