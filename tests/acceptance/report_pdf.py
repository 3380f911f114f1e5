"""A four-page business report drawn with reportlab, with the truth of what it holds.

Written independently of the layout engine's own fixtures, to check the whole path the way a user sends a
document: running header and footer on every page, a title, numbered headings on three levels, a two-column page,
a ruled table, a booktabs table, and a rule-less financial table continued on the next page with its header
repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

WIDTH, HEIGHT = A4
MARGIN = 56.0
RUNNING_HEADER = "Northwind Logistics - Annual Report 2025"
PAGES = 4

COLUMN_LEFT = [
    "The first column opens the review of the year. Freight volumes rose in every region we serve,",
    "led by the northern corridor where two new depots opened in the spring and added capacity for",
    "seasonal peaks. Our drivers covered more kilometres than ever while fuel use per tonne fell.",
    "This paragraph ends the first column of the page.",
]
COLUMN_RIGHT = [
    "The second column turns to the outlook. We expect growth to continue at a steadier pace as",
    "the new depots reach full utilisation, and we will invest in electric vans for city routes",
    "where charging points are now common and the savings on maintenance are well proven.",
    "This paragraph ends the second column of the page.",
]
RULED = [
    ["Region", "Depots", "Vehicles", "Staff"],
    ["North", "12", "340", "1,210"],
    ["South", "9", "265", "980"],
    ["East", "7", "198", "745"],
    ["West", "11", "301", "1,102"],
]
BOOKTABS = [
    ["Quarter", "Shipments", "On time", "Claims"],
    ["Q1", "48,200", "96.1%", "112"],
    ["Q2", "51,930", "95.4%", "131"],
    ["Q3", "55,015", "97.0%", "98"],
    ["Q4", "60,877", "94.8%", "150"],
]
FINANCIAL_HEADER = ["(in thousands)", "2025", "2024"]
FINANCIAL_PAGE_3 = [
    ["Freight revenue", "$ 412,530", "$ 388,104"],
    ["Warehousing revenue", "96,220", "90,871"],
    ["Fuel costs", "(120,410)", "(131,995)"],
    ["Wages and benefits", "(180,300)", "(171,044)"],
    ["Depreciation", "(22,115)", "(20,870)"],
    ["Operating income", "185,925", "155,066"],
]
FINANCIAL_PAGE_4 = [
    ["Interest expense", "(8,410)", "(9,002)"],
    ["Income before taxes", "177,515", "146,064"],
    ["Income taxes", "(44,379)", "(36,516)"],
    ["Net income", "$ 133,136", "$ 109,548"],
]


@dataclass
class Truth:
    title: str = "Annual Report 2025"
    # (level, text) in document order.
    headings: list[tuple[int, str]] = field(default_factory=list)
    # Every table's rows in order; the financial table is one table over pages 3 and 4.
    tables: list[list[list[str]]] = field(default_factory=list)
    # Sentences in reading order (each must come before the next in the text).
    order: list[str] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)
    # Where a string was drawn: text -> (page, (x0, y0, x1, y1)) in points, origin top-left.
    boxes: dict[str, tuple[int, tuple[float, float, float, float]]] = field(default_factory=dict)


class _Report:
    def __init__(self) -> None:
        self.buffer = BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4)
        self.canvas.setTitle("Northwind annual report")
        self.truth = Truth()
        self.page = 1
        self.y = MARGIN + 40  # top-left origin, distance from the top

    def text(self, x: float, text: str, size: float = 10.5, font: str = "Helvetica", right: bool = False) -> None:
        self.canvas.setFont(font, size)
        width = self.canvas.stringWidth(text, font, size)
        x0 = x - width if right else x
        self.canvas.drawString(x0, HEIGHT - self.y, text)
        self.truth.boxes[text] = (self.page, (x0, self.y - size * 0.75, x0 + width, self.y + size * 0.25))

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.8) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.line(x0, HEIGHT - y0, x1, HEIGHT - y1)

    def heading(self, level: int, text: str) -> None:
        size = {1: 16.0, 2: 13.0, 3: 11.0}[level]
        self.y += size * 1.2
        self.text(MARGIN, text, size, "Helvetica-Bold")
        self.truth.headings.append((level, text))
        self.y += size * 1.1

    def paragraph(self, lines: list[str], x: float = MARGIN) -> None:
        for line in lines:
            self.text(x, line)
            self.y += 14
        self.y += 8

    def furniture(self) -> None:
        self.canvas.setFont("Helvetica", 8)
        self.canvas.drawString(MARGIN, HEIGHT - 30, RUNNING_HEADER)
        footer = f"Page {self.page} of {PAGES}"
        self.canvas.drawRightString(WIDTH - MARGIN, 30, footer)
        self.truth.furniture.extend([RUNNING_HEADER, footer])

    def next_page(self) -> None:
        self.furniture()
        self.canvas.showPage()
        self.page += 1
        self.y = MARGIN + 20

    def ruled_table(self, rows: list[list[str]], columns: list[float]) -> None:
        top, height = self.y, 18.0
        for index, row in enumerate(rows):
            self.y = top + index * height + 13  # the baseline inside row ``index``
            for cell, x in zip(row, columns, strict=False):
                self.text(x + 4, cell, font="Helvetica-Bold" if index == 0 else "Helvetica")
                self.truth.boxes.pop(cell, None)  # cells repeat ("12"): boxes are checked on prose only
        bottom = top + len(rows) * height
        for index in range(len(rows) + 1):
            self.line(columns[0], top + index * height, columns[-1], top + index * height)
        for x in columns:
            self.line(x, top, x, bottom)
        self.y = bottom + 20
        self.truth.tables.append(rows)

    def booktabs(self, rows: list[list[str]], columns: list[float]) -> None:
        left, right = MARGIN, WIDTH - MARGIN
        self.line(left, self.y, right, self.y, 1.2)
        self.y += 14
        for index, row in enumerate(rows):
            for column, (cell, x) in enumerate(zip(row, columns, strict=True)):
                font = "Helvetica-Bold" if index == 0 else "Helvetica"
                self.text(x, cell, font=font, right=column > 0)
                self.truth.boxes.pop(cell, None)
            if index == 0:
                self.line(left, self.y + 5, right, self.y + 5, 0.6)
            self.y += 16
        self.line(left, self.y - 8, right, self.y - 8, 1.2)
        self.y += 16
        self.truth.tables.append(rows)

    def financial(self, rows: list[list[str]]) -> None:
        """Rule-less: labels left, numbers right-aligned at two column edges, "$" set apart from its number."""
        edges = [380.0, 500.0]
        for index, row in enumerate([FINANCIAL_HEADER, *rows]):
            self.text(MARGIN, row[0], font="Helvetica-Bold" if index == 0 else "Helvetica")
            self.truth.boxes.pop(row[0], None)
            for cell, edge in zip(row[1:], edges, strict=True):
                if cell.startswith("$ "):
                    self.text(edge - 90, "$")
                    self.text(edge, cell[2:], right=True)
                    self.truth.boxes.pop(cell[2:], None)
                else:
                    self.text(edge, cell, right=True, font="Helvetica-Bold" if index == 0 else "Helvetica")
                self.truth.boxes.pop(cell, None)
            self.y += 15
        self.truth.boxes.pop("$", None)


def build_report() -> tuple[bytes, Truth]:
    report = _Report()
    truth = report.truth
    report.text(MARGIN, truth.title, 24, "Helvetica-Bold")
    report.y += 34
    intro = ["This report describes the year of Northwind Logistics in figures and in words for our shareholders."]
    report.paragraph(intro)
    report.heading(1, "1 Operations")
    report.heading(2, "1.1 Network")
    network = ["Our network grew to thirty nine depots across four regions, listed in the table below."]
    report.paragraph(network)
    report.ruled_table(RULED, [MARGIN, 180.0, 280.0, 380.0, 480.0])
    report.heading(2, "1.2 Service levels")
    report.heading(3, "1.2.1 Punctuality")
    report.paragraph(["Punctuality stayed above ninety four percent in every quarter of the year."])
    report.booktabs(BOOKTABS, [MARGIN, 250.0, 370.0, WIDTH - MARGIN])
    report.next_page()

    report.heading(1, "2 Review and outlook")
    gutter = (WIDTH - 2 * MARGIN - 24) / 2
    top = report.y
    for line in _wrap(" ".join(COLUMN_LEFT), 42):
        report.text(MARGIN, line)
        report.y += 14
    report.y = top
    for line in _wrap(" ".join(COLUMN_RIGHT), 42):
        report.text(MARGIN + gutter + 24, line)
        report.y += 14
    report.y += 20
    truth.order = ["The first column opens the review", "This paragraph ends the first column",
                   "The second column turns to the outlook", "This paragraph ends the second column"]  # fmt: skip
    report.next_page()

    report.heading(1, "3 Financial statements")
    report.paragraph(["The consolidated statement of income follows, in thousands of dollars."])
    report.financial(FINANCIAL_PAGE_3)
    report.next_page()
    report.financial(FINANCIAL_PAGE_4)
    report.y += 10
    report.paragraph(["The statements above were audited by an independent firm in February."])
    report.furniture()
    report.canvas.save()
    truth.tables.append([FINANCIAL_HEADER, *FINANCIAL_PAGE_3, *FINANCIAL_PAGE_4])
    return report.buffer.getvalue(), truth


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [])
