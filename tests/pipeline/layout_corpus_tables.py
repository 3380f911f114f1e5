"""The tables of the layout corpus (``layout_corpus``): each family drawn the way real documents draw it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.pipeline.layout_corpus import Generator

_LABELS = "North South East West Central Coastal Upland Harbour Airport Depot Fleet Office Retail Storage"
LABELS = _LABELS.split()
_HEADERS = "Revenue Costs Margin Volume Staff Units Share Growth Claims Orders Routes Sites"
HEADERS = _HEADERS.split()
WIDE = ["Mean absolute error", "Share of completed runs", "Median latency (ms)", "Peak memory use (MB)"]
KEYS = ["Owner", "Status", "Version", "Licence", "Region", "Contact", "Review date", "Budget line"]


class TableDrawer:
    FAMILIES = ("ruled", "booktabs", "numeric", "wide_header", "empty", "keyvalue", "continued", "continued_bare")

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.count = 0

    def draw(self, family: str) -> None:
        gen = self.gen
        if family.startswith("continued") and gen.columns > 1:
            family = "numeric"
        rows = self._rows(family)
        rows = self._fit(rows)
        self.count += 1
        caption = f"Table {self.count}: {' '.join(gen.words(gen.rng.randint(2, 6)))}"
        gen.room(gen.leading * 3 + 16 * min(len(rows), 4))
        font = gen.bold if gen.rng.random() < 0.5 else gen.regular
        gen.y += gen.leading
        for line in gen.wrap(caption, font, gen.size, gen.column_width):
            gen.y += gen.size
            gen.draw(gen.x, gen.y, line, font, gen.size)
            gen.y += gen.leading - gen.size
        gen.record(caption)
        gen.y += gen.leading * 0.6
        widths = self._widths(rows)
        if family in ("ruled", "keyvalue") or (family == "empty" and gen.rng.random() < 0.5):
            self._ruled(rows, widths)
        elif family == "booktabs":
            self._booktabs(rows, widths)
        else:
            self._plain(rows, widths, family, left=family == "wide_header" and gen.rng.random() < 0.5)
        gen.truth.tables.append(rows)
        gen.truth.words.extend(word for row in rows for cell in row for word in cell.split())
        gen.y += gen.leading * 0.5

    # -- content ---------------------------------------------------------------------------------------------

    def _rows(self, family: str) -> list[list[str]]:
        rng = self.gen.rng
        if family == "keyvalue":
            keys = rng.sample(KEYS, rng.randint(3, 6))
            return [[key, " ".join(self.gen.words(rng.randint(1, 3))).capitalize()] for key in keys]
        count = rng.randint(2, 4)
        headers = rng.sample(WIDE, count) if family == "wide_header" else rng.sample(HEADERS, count)
        length = rng.randint(10, 16) if family.startswith("continued") else rng.randint(3, 7)
        labels = [rng.choice(LABELS) + (f" {index + 1}" if rng.random() < 0.5 else "") for index in range(length)]
        style = rng.choice(["int", "money", "pct", "dec"])
        rows = [[rng.choice(["Item", "Site", "Area"]), *headers]]
        for label in labels:
            rows.append([label, *(self._number(style) for _ in headers)])
        if family == "empty":
            for row in rows[1:]:
                if rng.random() < 0.4:
                    row[rng.randint(1, count)] = ""
        return rows

    def _number(self, style: str) -> str:
        rng = self.gen.rng
        value = rng.randint(1, 99999)
        if style == "int":
            return f"{value:,}"
        if style == "money":
            return f"({value:,})" if rng.random() < 0.2 else f"{value:,}"
        if style == "pct":
            return f"{value % 1000 / 10:.1f}%"
        return f"{value / 100000:.2f}"

    def _widths(self, rows: list[list[str]]) -> list[float]:
        gen = self.gen
        columns = len(rows[0])
        return [max(gen.canvas.stringWidth(row[k], gen.bold, gen.size) for row in rows) + 16 for k in range(columns)]

    def _fit(self, rows: list[list[str]]) -> list[list[str]]:
        """Drop columns from the right until the table fits the column (a narrow column holds a narrow table)."""
        while len(rows[0]) > 2 and sum(self._widths(rows)) > self.gen.column_width:
            rows = [row[:-1] for row in rows]
        if sum(self._widths(rows)) > self.gen.column_width:  # key/value: one word a value
            rows = [[row[0], row[1].split(" ")[0]] for row in rows]
        return rows

    # -- families --------------------------------------------------------------------------------------------

    def _ruled(self, rows: list[list[str]], widths: list[float]) -> None:
        gen = self.gen
        height = gen.size + 8
        gen.room(height * len(rows) + 4)
        left, top = gen.x, gen.y
        edges = [left]
        for width in widths:
            edges.append(edges[-1] + width)
        for index, row in enumerate(rows):
            baseline = top + index * height + gen.size + 3
            for k, cell in enumerate(row):
                font = gen.bold if index == 0 or (len(row) == 2 and k == 0) else gen.regular
                if cell:
                    gen.draw(edges[k] + 5, baseline, cell, font, gen.size)
        bottom = top + len(rows) * height
        for index in range(len(rows) + 1):
            gen.rule(edges[0], top + index * height, edges[-1], top + index * height, 0.6)
        for x in edges:
            gen.rule(x, top, x, bottom, 0.6)
        gen.y = bottom + 4

    def _booktabs(self, rows: list[list[str]], widths: list[float]) -> None:
        gen = self.gen
        step = gen.size + 5
        gen.room(step * (len(rows) + 1) + 8)
        left = gen.x
        right = left + sum(widths)
        gen.rule(left, gen.y, right, gen.y, 1.2)
        gen.y += 4
        for index, row in enumerate(rows):
            gen.y += step
            self._row(row, widths, left, bold=index == 0)
            if index == 0:
                gen.rule(left, gen.y + 4, right, gen.y + 4, 0.6)
                gen.y += 3
        gen.y += 6
        gen.rule(left, gen.y, right, gen.y, 1.2)

    def _plain(self, rows: list[list[str]], widths: list[float], family: str, left: bool = False) -> None:
        gen = self.gen
        step = gen.size + 5
        x = gen.x
        header = rows[0]
        repeat = family == "continued"
        if family.startswith("continued"):
            gen.y = max(gen.y, gen.bottom - step * 5)  # start low, so that the table runs onto the next page
        for index, row in enumerate(rows):
            if gen.y + step > gen.bottom:
                gen.next_page()
                if repeat:
                    gen.y += step
                    self._row(header, widths, x, bold=True)
            gen.y += step
            self._row(row, widths, x, bold=index == 0, left=left)

    def _row(self, row: list[str], widths: list[float], x: float, bold: bool, left: bool = False) -> None:
        """The label left-aligned, the figures right-aligned at their column's right edge (or left-aligned, as a
        screenshot of a results table has them)."""
        gen = self.gen
        font = gen.bold if bold else gen.regular
        for k, (cell, width) in enumerate(zip(row, widths, strict=True)):
            if cell and (k == 0 or left):
                gen.draw(x, gen.y, cell, font, gen.size)
            elif cell:
                gen.draw(x + width - 4, gen.y, cell, font, gen.size, right=True)
            x += width
