"""Layout analysis on positioned words with known truth: reading order, blocks, headings, furniture, continued tables.

The pages are set here word by word the way a typesetter would (Helvetica metrics: a character is about half an
em wide, a line box 0.93 em tall), so every test knows exactly where each word stands.
"""

from __future__ import annotations

from webapp.pipeline.document import ParsedDocument
from webapp.pipeline.layout import analyse_pages
from webapp.pipeline.layout.model import PageInput, Word
from webapp.pipeline.layout.order import reading_order
from webapp.pipeline.render import to_markdown, to_text

WIDTH, HEIGHT = 595.0, 842.0
MARGIN = 56.0


class Page:
    def __init__(self, number: int) -> None:
        self.input = PageInput(number, WIDTH, HEIGHT)
        self.y = 100.0

    def line(self, x: float, text: str, size: float = 10.0, bold: bool = False, y: float | None = None) -> None:
        top = self.y if y is None else y
        cursor = x
        for word in text.split():
            width = 0.5 * size * len(word)
            self.input.words.append(Word(word, cursor, top, cursor + width, top + 0.93 * size, size, bold=bold))
            cursor += width + 0.28 * size
        if y is None:
            self.y += 1.3 * size

    def gap(self, points: float) -> None:
        self.y += points


def _paragraph(page: Page, lines: list[str], x: float = MARGIN, size: float = 10.0) -> None:
    for text in lines:
        page.line(x, text, size)
    page.gap(8)


def _texts(pages: list[PageInput], kind: str | None = None) -> list[str]:
    analysis = analyse_pages(pages)
    return [e.text for e in analysis.elements if kind is None or e.type == kind]


def test_reading_order_prefers_columns_over_lined_up_paragraph_breaks():
    """GIVEN a full-width title over two columns whose paragraph gaps line up
    THEN the title comes first, then all of column 1, then all of column 2."""
    title = (56.0, 40.0, 400.0, 60.0)
    left = [(56.0, 80.0 + 14 * row + (10 if row >= 3 else 0), 280.0, 90.0 + 14 * row + (10 if row >= 3 else 0))
            for row in range(6)]  # fmt: skip
    right = [(310.0, box[1], 540.0, box[3]) for box in left]
    boxes = [title, *right, *left]  # shuffled on purpose: content order must not matter
    order = reading_order(boxes, min_gutter=10.0)
    assert order == [0, *range(7, 13), *range(1, 7)]


def test_reading_order_reads_a_form_row_by_row():
    """Labels and values side by side (narrow label column) are not two columns."""
    boxes = []
    for row in range(5):
        boxes.append((56.0, 100.0 + 20 * row, 100.0, 110.0 + 20 * row))
        boxes.append((150.0, 100.0 + 20 * row, 540.0, 110.0 + 20 * row))
    assert reading_order(boxes, min_gutter=10.0) == list(range(10))


def test_two_column_page_reads_column_by_column_with_headings_and_paragraphs():
    page = Page(1)
    page.line(MARGIN, "A Study of Columns", size=20, bold=True)
    page.gap(10)
    top = page.y
    left = ["Column one starts here and runs", "down the left half of the page", "and ends its sentence here."]
    right = ["Column two begins on the right", "and carries on to the bottom", "where it ends for good."]
    _paragraph(page, left)
    page.y = top
    _paragraph(page, right, x=310)
    analysis = analyse_pages([page.input])
    kinds = [(e.type, e.text) for e in analysis.elements]
    assert kinds == [
        ("title", "A Study of Columns"),
        ("paragraph", " ".join(left)),
        ("paragraph", " ".join(right)),
    ]
    for element in analysis.elements:
        assert element.bbox is not None and element.page == 1


def test_heading_levels_rank_by_size_and_numbering():
    page = Page(1)
    page.line(MARGIN, "Handbook", size=24, bold=True)
    page.gap(12)
    for size, text in ((16, "1 Scope"), (13, "1.1 Audience"), (11, "1.1.1 Readers"), (16, "2 Terms")):
        page.line(MARGIN, text, size=size, bold=True)
        page.gap(4)
        _paragraph(page, ["Body text sets the common size of the document and says", "little else of note here."])
    analysis = analyse_pages([page.input])
    headings = [(e.level, e.text) for e in analysis.elements if e.type == "heading"]
    assert headings == [(1, "1 Scope"), (2, "1.1 Audience"), (3, "1.1.1 Readers"), (1, "2 Terms")]
    assert [e.text for e in analysis.elements if e.type == "title"] == ["Handbook"]
    markdown = to_markdown(ParsedDocument(elements=analysis.elements, tables=analysis.tables))
    assert "# Handbook\n" in markdown and "\n## 1 Scope\n" in markdown and "\n#### 1.1.1 Readers\n" in markdown


def test_bold_body_size_lines_are_headings_but_bold_sentences_are_not():
    page = Page(1)
    page.line(MARGIN, "Background", bold=True)
    page.gap(4)
    _paragraph(page, ["Ordinary text follows the heading and fills the line to the", "right margin of the page."])
    page.line(MARGIN, "This whole sentence is set in bold type because it matters a great deal.", bold=True)
    page.gap(8)
    _paragraph(page, ["More ordinary text closes the page and fills the line to the", "right margin again."])
    analysis = analyse_pages([page.input])
    assert [e.text for e in analysis.elements if e.type == "heading"] == ["Background"]


def test_running_headers_footers_and_page_numbers_are_furniture():
    pages = []
    for number in range(1, 4):
        page = Page(number)
        page.line(MARGIN, "Acme Corp - Quarterly Review", size=8, y=30)
        page.line(480, f"Page {number} of 3", size=8, y=805)
        _paragraph(page, [f"Body text of page {number} fills the middle of the page with", "words that matter."])
        pages.append(page.input)
    analysis = analyse_pages(pages)
    furniture = [(e.type, e.text) for e in analysis.elements if e.type in ("page_header", "page_footer")]
    assert furniture.count(("page_header", "Acme Corp - Quarterly Review")) == 3
    assert [text for kind, text in furniture if kind == "page_footer"] == [f"Page {n} of 3" for n in (1, 2, 3)]
    text = to_text(ParsedDocument(elements=analysis.elements))
    assert "Body text of page 2" in text


def test_a_line_at_the_top_of_one_page_only_is_not_furniture():
    first, second = Page(1), Page(2)
    first.line(MARGIN, "Introduction to the topic", size=10, y=30)
    _paragraph(first, ["Body text on the first page fills it with words that", "matter to the reader."])
    second.line(MARGIN, "Something else entirely", size=10, y=30)
    _paragraph(second, ["Body text on the second page fills it with words that", "matter as much."])
    analysis = analyse_pages([first.input, second.input])
    assert not [e for e in analysis.elements if e.type in ("page_header", "page_footer")]


def test_bulleted_items_are_list_items_without_their_bullets():
    page = Page(1)
    _paragraph(page, ["The plan has three parts that we describe below in a little", "more detail."])
    for item in ("Ship the first version", "Measure what users do", "Improve what they use"):
        page.line(MARGIN, f"• {item}")
    analysis = analyse_pages([page.input])
    assert [e.text for e in analysis.elements if e.type == "list_item"] == [
        "Ship the first version",
        "Measure what users do",
        "Improve what they use",
    ]


def test_hyphenated_line_ends_keep_compounds_together():
    page = Page(1)
    _paragraph(page, ["Layout analysis finds a state-of-the-", "art reading order on every page."])
    assert _texts([page.input], "paragraph") == [
        "Layout analysis finds a state-of-the-art reading order on every page."
    ]


def test_a_paragraph_starting_in_the_top_margin_stays_one_paragraph():
    pages = []
    for number, words in ((1, "apples and pears"), (2, "rivers and hills")):
        page = Page(number)
        page.y = 40.0  # a page set with a very small top margin
        _paragraph(page, [f"Text about {words} starts at the very top of this page and", f"ends below it ({words})."])
        pages.append(page.input)
    assert _texts(pages, "paragraph") == [
        "Text about apples and pears starts at the very top of this page and ends below it (apples and pears).",
        "Text about rivers and hills starts at the very top of this page and ends below it (rivers and hills).",
    ]


def test_a_word_broken_at_the_line_end_is_joined_whole():
    """PDFium reports "experi|ence" split by a soft hyphen as two words, the first flagged ``hyphenated``."""
    page = Page(1)
    _paragraph(page, ["The result of the experi", "ence was clear to everyone who watched it."])
    broken = next(word for word in page.input.words if word.text == "experi")
    broken.hyphenated = True
    assert _texts([page.input], "paragraph") == ["The result of the experience was clear to everyone who watched it."]


def test_a_right_column_that_starts_higher_than_the_left_one_is_still_read_second():
    """GIVEN a full-width summary, then two columns where the left one starts lower (below a heading's space)
    THEN the right column's first line is read after the whole left column, not before it."""
    summary = (56.0, 60.0, 540.0, 100.0)
    right_first = (310.0, 120.0, 540.0, 130.0)
    left = [(56.0, 128.0 + 14 * row, 280.0, 138.0 + 14 * row) for row in range(5)]
    right = [(310.0, 134.0 + 14 * row, 540.0, 144.0 + 14 * row) for row in range(5)]
    boxes = [summary, right_first, *left, *right]
    assert reading_order(boxes, min_gutter=10.0) == [0, 2, 3, 4, 5, 6, 1, 7, 8, 9, 10, 11]


def test_a_centred_title_over_a_short_line_is_not_a_column_split():
    boxes = [(270.0, 60.0, 330.0, 72.0), (56.0, 80.0, 150.0, 90.0), (56.0, 94.0, 540.0, 104.0)]
    assert reading_order(boxes, min_gutter=10.0) == [0, 1, 2]
