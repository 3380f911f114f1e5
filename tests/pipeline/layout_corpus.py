"""Seeded, varied PDFs drawn with reportlab, each with the truth of what it holds, for layout analysis tests.

Each seed picks a page size, margins, a body font (Helvetica, Times, DejaVu Sans or Serif, embedded), a body size,
one to three columns, numbered or unnumbered headings on two or three levels, a running header and a page-number
style; the content mixes paragraphs (some justified), bold run-in labels, bulleted and numbered lists, block
quotes, code listings, footnotes, a figure with its caption and tables of every family (ruled grid, booktabs,
rule-less numeric, a header wider than its figures, empty cells, key/value, continued over a page break). The
generator never looks at the engine: truth is what was drawn.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from tests.pipeline.layout_corpus_tables import TableDrawer

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
# (regular, bold, italic, monospace) per body family.
FAMILIES = [
    ("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Courier"),
    ("Times-Roman", "Times-Bold", "Times-Italic", "Courier"),
    ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSansMono"),
    ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSansMono"),
]
_WORDS = """
account action amount annual approach area audit balance basis board budget capacity capital carrier
change claim client committee contract control cost county customer data delivery demand depot
design detail device district driver energy engine estimate event factor figure finance fleet
freight fuel function grant growth harbour income index input issue labour layer lease ledger level
limit margin market measure member method model motor network number office order output owner panel
parcel period permit plant policy portion process profit program project quality quarter rate reason
record region report request result revenue review risk route safety sample schedule sector segment
service share signal source staff storage supply survey system target tender term timber total trade
traffic transfer trend unit value vehicle volume warehouse window yield steady rapid modest careful
recent annual regional local formal mutual overall improved reduced expanded retained measured
reviewed approved adjusted compared recorded delivered planned
"""
VOCABULARY = _WORDS.split()
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"]


@dataclass
class Truth:
    title: str = ""
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    # Sentences that must come in this order in the text.
    order: list[str] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    # Every word drawn outside the page furniture.
    words: list[str] = field(default_factory=list)
    pages: int = 0


def _register_fonts() -> None:
    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return
    for name in ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSerif", "DejaVuSerif-Bold",
                 "DejaVuSerif-Italic", "DejaVuSansMono"):  # fmt: skip
        pdfmetrics.registerFont(TTFont(name, str(DEJAVU / f"{name}.ttf")))


class Generator:
    """Flows blocks down columns and pages; ``y`` is the distance from the top of the page."""

    def __init__(self, seed: int) -> None:
        _register_fonts()
        self.rng = rng = random.Random(seed)
        self.width, self.height = rng.choice([A4, LETTER])
        self.margin = rng.choice([50.0, 60.0, 72.0])
        self.regular, self.bold, self.italic, self.mono = rng.choice(FAMILIES)
        self.size = rng.choice([9.5, 10.0, 10.5, 11.0, 12.0])
        self.leading = self.size * rng.choice([1.2, 1.3, 1.45])
        self.columns = rng.choice([1, 1, 1, 2, 2, 3])
        self.numbered = rng.random() < 0.5
        self.justify = rng.random() < 0.4
        self.levels = rng.choice([2, 3])
        self.footer_style = rng.choice(["plain", "dashes", "page_of", "roman"])
        self.header_text = f"{rng.choice(VOCABULARY).title()} {rng.choice(VOCABULARY)} review {2000 + seed % 30}"
        self.buffer = BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=(self.width, self.height), invariant=1)
        self.truth = Truth()
        self.page, self.column = 1, 0
        self.top = self.margin + 10
        self.y = self.column_top = self.top
        self.footnotes: list[str] = []
        self.counters = [0, 0, 0]
        self.sentences = 0
        self.tables = TableDrawer(self)

    # -- geometry --------------------------------------------------------------------------------------------

    @property
    def bottom(self) -> float:
        return self.height - self.margin - 6 - 12 * len(self.footnotes)

    @property
    def column_width(self) -> float:
        gutter = 22.0
        return (self.width - 2 * self.margin - gutter * (self.columns - 1)) / self.columns

    @property
    def x(self) -> float:
        return self.margin + self.column * (self.column_width + 22.0)

    def room(self, height: float) -> None:
        """Move to the next column or page unless ``height`` points fit below ``y``."""
        if self.y + height <= self.bottom:
            return
        if self.column + 1 < self.columns:
            self.column += 1
            self.y = self.column_top
            return
        self.next_page()

    def next_page(self) -> None:
        self._finish_page()
        self.canvas.showPage()
        self.page += 1
        self.column = 0
        self.y = self.column_top = self.top

    # -- drawing ---------------------------------------------------------------------------------------------

    def draw(self, x: float, y: float, text: str, font: str, size: float, right: bool = False) -> float:
        self.canvas.setFont(font, size)
        width = self.canvas.stringWidth(text, font, size)
        self.canvas.drawString(x - width if right else x, self.height - y, text)
        return width

    def rule(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.7) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, self.height - y0, x1, self.height - y1)

    def words(self, count: int) -> list[str]:
        return [self.rng.choice(VOCABULARY) for _ in range(count)]

    def sentence(self) -> str:
        self.sentences += 1
        words = self.words(self.rng.randint(6, 14))
        return " ".join([words[0].title(), *words[1:]]) + "."

    def wrap(self, text: str, font: str, size: float, width: float) -> list[str]:
        lines: list[str] = []
        current = ""
        for word in text.split():
            trial = f"{current} {word}".strip()
            if current and self.canvas.stringWidth(trial, font, size) > width:
                lines.append(current)
                current = word
            else:
                current = trial
        return lines + ([current] if current else [])

    def text_lines(self, lines: list[str], font: str, size: float, x: float, width: float, justify: bool) -> None:
        for index, line in enumerate(lines):
            self.room(self.leading)
            self.y += self.size
            last = index == len(lines) - 1
            if justify and not last and " " in line:
                self._justified(line, font, size, self.x + x, width)
            else:
                self.draw(self.x + x, self.y, line, font, size)
            self.y += self.leading - self.size

    def _justified(self, line: str, font: str, size: float, x: float, width: float) -> None:
        words = line.split()
        natural = sum(self.canvas.stringWidth(word, font, size) for word in words)
        space = (width - natural) / (len(words) - 1)
        for word in words:
            x += self.draw(x, self.y, word, font, size) + space

    def record(self, text: str, anchor: bool = True) -> None:
        self.truth.words.extend(text.split())
        if anchor:
            self.truth.order.append(" ".join(text.split()[:5]))

    # -- blocks ----------------------------------------------------------------------------------------------

    def title(self) -> None:
        """Across all columns, above them."""
        text = " ".join(word.title() for word in self.words(self.rng.randint(2, 5)))
        size = self.size * 2.2
        for line in self.wrap(text, self.bold, size, self.width - 2 * self.margin):
            self.y += size
            self.draw(self.x, self.y, line, self.bold, size)
            self.y += size * 0.2
        self.y += size * 0.6
        self.column_top = self.y
        self.truth.title = text
        self.record(text)

    def heading(self, level: int) -> None:
        self.counters[level - 1] += 1
        self.counters[level:] = [0] * (3 - level)
        words = " ".join(self.words(self.rng.randint(1, 4))).capitalize()
        while any(text.endswith(words) for _, text in self.truth.headings):  # unique, so matched by its text
            words = " ".join(self.words(self.rng.randint(2, 4))).capitalize()
        number = ".".join(str(n) for n in self.counters[:level])
        text = f"{number} {words}" if self.numbered else words
        size = self.size * {1: 1.6, 2: 1.3, 3: 1.1}[level]
        self.room(size * 3 + self.leading * 2)
        self.y += size * 0.9
        lines = self.wrap(text, self.bold, size, self.column_width)
        for line in lines:
            self.y += size
            self.draw(self.x, self.y, line, self.bold, size)
            self.y += size * 0.25
        self.y += size * 0.5
        self.truth.headings.append((level, text))
        self.record(text)

    def paragraph(self, label: bool = False) -> None:
        text = " ".join(self.sentence() for _ in range(self.rng.randint(1, 5)))
        if label:
            text = f"{self.rng.choice(['Note', 'Warning', 'Remark', 'Scope'])}: {text}"
        lines = self.wrap(text, self.regular, self.size, self.column_width)
        self.y += self.leading * 0.5
        where = (self.page, self.column)
        if label:
            self._labelled(lines)
        else:
            self.text_lines(lines, self.regular, self.size, 0, self.column_width, self.justify)
        if where == (self.page, self.column):  # one continued in the next column is two blocks
            self.truth.paragraphs.append(text)
        self.record(text)

    def _labelled(self, lines: list[str]) -> None:
        head, rest = lines[0].split(" ", 1) if " " in lines[0] else (lines[0], "")
        self.room(self.leading)
        self.y += self.size
        width = self.draw(self.x, self.y, head, self.bold, self.size)
        self.draw(self.x + width + self.canvas.stringWidth(" ", self.regular, self.size), self.y, rest,
                  self.regular, self.size)  # fmt: skip
        self.y += self.leading - self.size
        self.text_lines(lines[1:], self.regular, self.size, 0, self.column_width, False)

    def bullets(self) -> None:
        ordered = self.rng.random() < 0.4
        marker = self.rng.choice(["•", "-", "–"])
        self.y += self.leading * 0.5
        for index in range(self.rng.randint(2, 5)):
            text = self.sentence()
            lines = self.wrap(text, self.regular, self.size, self.column_width - 18)
            self.room(self.leading)
            mark = f"{index + 1}." if ordered else marker
            self.draw(self.x + 4, self.y + self.size, mark, self.regular, self.size)
            self.text_lines(lines, self.regular, self.size, 18, self.column_width - 18, False)
            self.record(text)
            if ordered:
                self.truth.words.append(mark)

    def quote(self) -> None:
        text = " ".join(self.sentence() for _ in range(self.rng.randint(1, 3)))
        lines = self.wrap(text, self.italic, self.size, self.column_width - 60)
        self.y += self.leading * 0.6
        where = (self.page, self.column)
        self.text_lines(lines, self.italic, self.size, 30, self.column_width - 60, False)
        self.y += self.leading * 0.3
        if where == (self.page, self.column):
            self.truth.paragraphs.append(text)
        self.record(text)

    def code(self) -> None:
        self.y += self.leading * 0.6
        size = self.size - 1
        for _ in range(self.rng.randint(3, 6)):
            name, arg = self.rng.choice(VOCABULARY), self.rng.choice(VOCABULARY)
            indent = self.rng.choice([0, 0, 4])
            line = " " * indent + f"{name}_total = compute_{arg}({name}, {self.rng.randint(1, 99)})"
            if self.canvas.stringWidth(line, self.mono, size) > self.column_width - 10:
                line = f"{name} = {arg}()"  # a narrow column holds short lines
            self.room(self.leading)
            self.y += size
            self.draw(self.x + 10, self.y, line, self.mono, size)
            self.y += self.leading - size
            self.truth.words.extend(line.split())
        self.y += self.leading * 0.3

    def footnote(self) -> None:
        text = f"{len(self.footnotes) + 1} {self.sentence()}"
        if self.y + 30 > self.bottom - 12:
            return
        self.footnotes.append(text)
        self.record(text, anchor=False)

    def figure(self) -> None:
        height = self.rng.choice([80.0, 120.0])
        self.room(height + 3 * self.leading)
        self.y += self.leading
        self.canvas.setLineWidth(1)
        self.canvas.rect(self.x + 20, self.height - self.y - height, self.column_width - 40, height)
        self.y += height + self.size + 4
        text = f"Figure {self.page}.{self.column + 1}: {' '.join(self.words(self.rng.randint(3, 7)))}"
        for line in self.wrap(text, self.italic, self.size - 1, self.column_width - 40):
            self.draw(self.x + 20, self.y, line, self.italic, self.size - 1)
            self.y += self.leading
        self.record(text)

    # -- furniture -------------------------------------------------------------------------------------------

    def _finish_page(self) -> None:
        small = max(self.size - 2, 7.0)
        for index, text in enumerate(self.footnotes):
            y = self.height - self.margin - 12 * (len(self.footnotes) - index - 1)
            self.draw(self.margin, y, text, self.regular, small)
        if self.footnotes:
            self.rule(self.margin, y - 12 * len(self.footnotes) - 2, self.margin + 80, y - 12 * len(self.footnotes) - 2)
        self.footnotes = []
        header_y = self.margin - 22
        self.draw(self.margin, header_y, self.header_text, self.regular, small)
        self.truth.furniture.append(self.header_text)
        number = self._page_number()
        x = self.width / 2 - self.canvas.stringWidth(number, self.regular, small) / 2
        self.draw(x, self.height - self.margin / 2 + 4, number, self.regular, small)
        self.truth.furniture.append(number)

    def _page_number(self) -> str:
        n = self.page
        return {
            "plain": str(n),
            "dashes": f"- {n} -",
            "page_of": f"Page {n} of {self.truth.pages or '#'}",
            "roman": ROMAN[(n - 1) % len(ROMAN)],
        }[self.footer_style]

    def save(self) -> bytes:
        self._finish_page()
        self.canvas.save()
        self.truth.pages = self.page
        return self.buffer.getvalue()


def build(seed: int) -> tuple[bytes, Truth]:
    """One document and its truth; the same seed gives the same document."""
    data, truth = _compose(Generator(seed))
    if "of" in (truth.furniture[-1] if truth.furniture else ""):
        again = Generator(seed)
        again.truth.pages = truth.pages  # "Page 3 of 9": drawn again knowing the count
        data, truth = _compose(again)
    return data, truth


def _compose(gen: Generator) -> tuple[bytes, Truth]:
    rng = gen.rng
    gen.title()
    gen.paragraph()
    tables = list(TableDrawer.FAMILIES)
    rng.shuffle(tables)
    for _ in range(rng.randint(3, 5)):
        gen.heading(1)
        gen.paragraph()
        for _ in range(rng.randint(1, 3)):
            gen.heading(2)
            _content(gen, tables)
            if gen.levels == 3 and rng.random() < 0.5:
                gen.heading(3)
                _content(gen, tables)
    return gen.save(), gen.truth


def _content(gen: Generator, tables: list[str]) -> None:
    rng = gen.rng
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        if choice < 0.45:
            gen.paragraph()
        elif choice < 0.55:
            gen.paragraph(label=True)
        elif choice < 0.67:
            gen.bullets()
        elif choice < 0.74:
            gen.quote()
        elif choice < 0.81:
            gen.code()
        elif choice < 0.86:
            gen.figure()
        elif choice < 0.91:
            gen.footnote()
            gen.paragraph()
        elif tables:
            gen.tables.draw(tables.pop())
        else:
            gen.paragraph()
