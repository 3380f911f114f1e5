"""Generated pages for the layout tests: drawn with reportlab and, at the same time, described as a ``PageInput``.

The words are measured with reportlab's own metrics (``stringWidth``), so the ``PageInput`` is what a good word
extractor would give for the drawn PDF; the tests then do not depend on the PDF word extractor. Coordinates are
points with the origin top-left (reportlab's are bottom-left: ``_flip`` converts). A word's box runs from the
baseline minus Helvetica's ascent (0.718 em) to the baseline plus its descent (0.207 em).

Table helpers draw a table from its truth (rows of cell strings) and return the truth, so each test states the
expected rows once.
"""

from __future__ import annotations

import io
import random

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from webapp.pipeline.layout.model import PageInput, Rule, Word

ASCENT = 0.718
DESCENT = 0.207
REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
MONO = "Courier"


class FixturePage:
    """One page being drawn; ``page_input()`` gives the words and rules drawn so far."""

    def __init__(self, width: float = 612.0, height: float = 792.0) -> None:
        self.width = width
        self.height = height
        self._buffer = io.BytesIO()
        self._canvas = Canvas(self._buffer, pagesize=(width, height))
        self.words: list[Word] = []
        self.rules: list[Rule] = []

    def _flip(self, y: float) -> float:
        return self.height - y

    def text(
        self, x: float, baseline: float, text: str, size: float = 10.0, bold: bool = False, font: str = ""
    ) -> float:
        """Draw ``text`` starting at ``x``; returns the x where it ends. Words are split on single spaces."""
        font = font or (BOLD if bold else REGULAR)
        self._canvas.setFont(font, size)
        self._canvas.drawString(x, self._flip(baseline), text)
        space = stringWidth(" ", font, size)
        cursor = x
        for index, part in enumerate(text.split(" ")):
            if index:
                cursor += space
            if not part:
                continue
            width = stringWidth(part, font, size)
            self.words.append(
                Word(
                    text=part,
                    x0=cursor,
                    y0=baseline - ASCENT * size,
                    x1=cursor + width,
                    y1=baseline + DESCENT * size,
                    size=size,
                    bold="Bold" in font,
                    font=font,
                )
            )
            cursor += width
        return cursor

    def text_right(self, x1: float, baseline: float, text: str, size: float = 10.0, bold: bool = False) -> float:
        """Draw ``text`` so that it ends at ``x1``; returns where it starts."""
        x0 = x1 - self.width_of(text, size, bold)
        self.text(x0, baseline, text, size, bold)
        return x0

    def text_center(self, center: float, baseline: float, text: str, size: float = 10.0, bold: bool = False) -> None:
        self.text(center - self.width_of(text, size, bold) / 2, baseline, text, size, bold)

    @staticmethod
    def width_of(text: str, size: float = 10.0, bold: bool = False) -> float:
        return stringWidth(text, BOLD if bold else REGULAR, size)

    def hline(self, x0: float, x1: float, y: float, width: float = 0.5) -> None:
        self._canvas.setLineWidth(width)
        self._canvas.line(x0, self._flip(y), x1, self._flip(y))
        self.rules.append(Rule(x0, y - width / 2, x1, y + width / 2))

    def vline(self, x: float, y0: float, y1: float, width: float = 0.5) -> None:
        self._canvas.setLineWidth(width)
        self._canvas.line(x, self._flip(y0), x, self._flip(y1))
        self.rules.append(Rule(x - width / 2, y0, x + width / 2, y1))

    def paragraph(
        self, x: float, top: float, width: float, text: str, size: float = 10.0, leading: float = 0.0
    ) -> float:
        """Draw ``text`` wrapped to ``width``; returns the baseline of the last line."""
        leading = leading or 1.2 * size
        line: list[str] = []
        baseline = top + ASCENT * size
        for word in text.split():
            if line and self.width_of(" ".join([*line, word]), size) > width:
                self.text(x, baseline, " ".join(line), size)
                baseline += leading
                line = []
            line.append(word)
        if line:
            self.text(x, baseline, " ".join(line), size)
        return baseline

    def page_input(self, source: str = "text") -> PageInput:
        return PageInput(
            number=1,
            width=self.width,
            height=self.height,
            source=source,
            words=list(self.words),
            rules=list(self.rules),
        )

    def pdf_bytes(self) -> bytes:
        self._canvas.showPage()
        self._canvas.save()
        return self._buffer.getvalue()


def draw_grid(
    page: FixturePage,
    x: float,
    top: float,
    widths: list[float],
    rows: list[list[str]],
    bold_header: bool = True,
    size: float = 9.0,
) -> tuple[list[list[str]], tuple[float, float, float, float]]:
    """A fully ruled grid; a cell may hold several lines ("\\n"). Returns the truth rows and the grid's box."""
    pad = 3.0
    leading = 1.2 * size
    edges = [x]
    for width in widths:
        edges.append(edges[-1] + width)
    y = top
    row_edges = [top]
    for index, row in enumerate(rows):
        lines = max(cell.count("\n") + 1 for cell in row)
        for column, cell in enumerate(row):
            for number, part in enumerate(cell.split("\n")):
                baseline = y + pad + ASCENT * size + number * leading
                page.text(edges[column] + pad, baseline, part, size, bold=bold_header and index == 0)
        y += 2 * pad + (lines - 1) * leading + (ASCENT + DESCENT) * size
        row_edges.append(y)
    for row_y in row_edges:
        page.hline(edges[0], edges[-1], row_y)
    for edge in edges:
        page.vline(edge, top, y)
    truth = [[cell.replace("\n", " ") for cell in row] for row in rows]
    return truth, (edges[0], top, edges[-1], y)


def booktabs_rows(
    page: FixturePage,
    x: float,
    top: float,
    widths: list[float],
    rows: list[list[str]],
    header: int = 1,
    size: float = 9.0,
    row_gap: float = 2.0,
    right_align: tuple[int, ...] = (),
) -> tuple[list[list[str]], tuple[float, float, float, float]]:
    """Horizontal rules only: top, under the header rows, bottom. Cells may hold several lines ("\\n")."""
    leading = 1.2 * size
    edges = [x]
    for width in widths:
        edges.append(edges[-1] + width)
    page.hline(edges[0], edges[-1], top, width=1.0)
    y = top + 4.0
    for index, row in enumerate(rows):
        if index == header:
            y += 2.0
            page.hline(edges[0], edges[-1], y, width=0.5)
            y += 4.0
        lines = max(cell.count("\n") + 1 for cell in row)
        for column, cell in enumerate(row):
            for number, part in enumerate(cell.split("\n")):
                baseline = y + ASCENT * size + number * leading
                if column in right_align and index >= header:
                    page.text_right(edges[column + 1] - 4.0, baseline, part, size)
                else:
                    page.text(edges[column] + 2.0, baseline, part, size, bold=index < header)
        y += lines * leading + row_gap
    y += 2.0
    page.hline(edges[0], edges[-1], y, width=1.0)
    truth = [[cell.replace("\n", " ") for cell in row] for row in rows]
    return truth, (edges[0], top, edges[-1], y)


def ocr_like(page: PageInput, seed: int = 7, jitter: float = 1.5, pieces: int = 3, slant: float = 1.2) -> PageInput:
    """What OCR and image line detection would give for ``page``: jittered word boxes, no fonts, no bold; each
    rule broken into ``pieces`` slightly offset pieces with small gaps, drifting by up to ``slant`` points."""
    rng = random.Random(seed)
    words = []
    for word in page.words:
        dx0, dx1, dy0, dy1 = (rng.uniform(-jitter, jitter) for _ in range(4))
        y0, y1 = word.y0 + dy0, word.y1 + dy1
        words.append(Word(word.text, word.x0 + dx0, y0, word.x1 + dx1, y1, size=round(y1 - y0, 1)))
    rules = []
    for rule in page.rules:
        horizontal = rule.horizontal
        start, end = (rule.x0, rule.x1) if horizontal else (rule.y0, rule.y1)
        across = (rule.y0 + rule.y1) / 2 if horizontal else (rule.x0 + rule.x1) / 2
        step = (end - start) / pieces
        for index in range(pieces):
            a = start + index * step + (rng.uniform(0.5, 2.0) if index else 0.0)
            b = start + (index + 1) * step
            drift = slant * (index / max(pieces - 1, 1)) - slant / 2
            lo, hi = across + drift - 0.6, across + drift + 0.6
            rules.append(Rule(a, lo, b, hi) if horizontal else Rule(lo, a, hi, b))
    rng.shuffle(rules)
    return PageInput(page.number, page.width, page.height, source="ocr", words=words, rules=rules)


def draw_cells(
    page: FixturePage,
    xs: list[float],
    ys: list[float],
    cells: list[tuple[int, int, int, int, str]],
    bold_rows: int = 0,
    size: float = 9.0,
) -> None:
    """A grid on lines ``xs`` x ``ys`` whose cells (row0, row1, col0, col1, text) may span: each cell is drawn
    as its own box, so no border runs through a spanning cell; its text is centred in it."""
    for top, bottom, left, right, text in cells:
        x0, x1, y0, y1 = xs[left], xs[right], ys[top], ys[bottom]
        page.hline(x0, x1, y0)
        page.hline(x0, x1, y1)
        page.vline(x0, y0, y1)
        page.vline(x1, y0, y1)
        baseline = (y0 + y1) / 2 + (ASCENT - DESCENT) * size / 2
        page.text_center((x0 + x1) / 2, baseline, text, size, bold=top < bold_rows)


def draw_statement(
    page: FixturePage, label_x: float, top: float, edges: list[float], rows: list[list[str]], size: float = 9.0
) -> float:
    """A financial statement without rules: labels from ``label_x`` (a leading "  " indents by 10 points),
    figures right-aligned at ``edges``; a "$ " prefix is drawn 90 points left of the edge, a closing ")" or a
    " %" hangs past it. Returns the last baseline."""
    baseline = top + ASCENT * size
    for row in rows:
        label = row[0]
        indent = 10.0 if label.startswith("  ") else 0.0
        if label.strip():
            page.text(label_x + indent, baseline, label.strip(), size)
        for edge, cell in zip(edges, row[1:], strict=True):
            _figure(page, edge, baseline, cell, size)
        baseline += 1.35 * size
    return baseline - 1.35 * size


def _figure(page: FixturePage, edge: float, baseline: float, cell: str, size: float) -> None:
    if not cell:
        return
    if cell.startswith("$ "):
        page.text(edge - 90.0, baseline, "$", size)
        cell = cell[2:]
    if cell.endswith(" %"):
        page.text_right(edge, baseline, cell[:-2], size)
        page.text(edge + 2.0, baseline, "%", size)
    elif cell.endswith(")"):
        page.text_right(edge + page.width_of(")", size), baseline, cell, size)
    else:
        page.text_right(edge, baseline, cell, size)


LOREM = (
    "The committee reviewed the quarterly results in detail and agreed that the figures reflect the seasonal "
    "pattern seen in earlier years, with stronger demand in the spring and a quieter summer. Several members "
    "asked for a clearer breakdown of costs by region, which the finance team will prepare for the next meeting. "
    "Overall the outlook remains stable and no change to the plan is proposed at this stage of the year."
)
