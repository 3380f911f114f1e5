"""HTML tables: data or layout, and the cell grid of a data table with spans expanded, bounded.

Conventions (tests/pipeline/test_html_tables.py holds them):
- Spans: a cell covering several grid positions (colspan/rowspan) puts its text in the top-left position only; the
  positions it also covers are empty strings. Docling repeats the text there, Kreuzberg leaves it empty; on the
  corpus ground truth leaving it empty scores better (bench/html_tables.py) and it never multiplies a cell's text,
  so a header spanning three columns is counted and embedded once.
- Spans are clamped like browsers do (colspan 1..1000, rowspan 0..65534, 0 meaning "to the end of the row group")
  and never reach past the end of their row group (thead, tbody, tfoot).
- Rows and columns without text anywhere are dropped (spacer cells on financial filings, image-only rows).
- ``header_rows``: the leading rows that are in a <thead> or hold only <th> cells.
- A table nested in a cell is a table of its own, after the outer one; the outer cell keeps the inner table's text
  too, flattened (see ``flatten``), so the outer table reads whole on its own, as docling and Kreuzberg have it.
- Budgets: one table holds at most ``MAX_TABLE_CELLS`` grid positions and a document ``MAX_DOCUMENT_CELLS``;
  rows past a budget are read as text after the table, never dropped, and the document carries a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from lxml import etree

MAX_COLSPAN = 1000
MAX_ROWSPAN = 65534
# Grid positions, not characters: what spans can inflate. Real cells are bounded by the size of the file.
MAX_TABLE_CELLS = 250_000
MAX_DOCUMENT_CELLS = 1_000_000
# Tables inside tables inside ...: past this many levels the inner ones are read as text.
MAX_TABLE_NESTING = 16

_LAYOUT_ROLES = {"presentation", "none"}
_DATA_CLASSES = {"infobox", "wikitable"}
# Inside a cell these mean the table lays out a page rather than holding data.
_PAGE_STRUCTURE = tuple(f"{{*}}{name}" for name in ("h1", "h2", "h3", "h4", "h5", "h6", "table"))


def local_name(node: etree._Element) -> str:
    tag = node.tag
    if not isinstance(tag, str):
        return ""  # comment or processing instruction
    return tag.rsplit("}", 1)[-1].lower()


@dataclass(frozen=True, slots=True)
class Row:
    node: etree._Element
    group: int  # rowspans end with their row group
    head: bool  # in <thead>

    @property
    def cells(self) -> list[etree._Element]:
        # Not stored: a Python proxy per cell for a whole big table costs more than the tree itself.
        return [cell for cell in self.node if local_name(cell) in ("td", "th")]


@dataclass(slots=True)
class CellBudget:
    """Grid positions left for the rest of the document, and what the limits cost, for the warnings."""

    left: int = field(default_factory=lambda: MAX_DOCUMENT_CELLS)  # read when a document starts, not at import
    truncated_tables: int = 0
    flattened_tables: int = 0

    def warnings(self) -> list[str]:
        notes = []
        if self.truncated_tables:
            notes.append(
                f"{self.truncated_tables} table(s) had more cells than the limit ({MAX_TABLE_CELLS} per table, "
                f"{MAX_DOCUMENT_CELLS} per document): the rows past it were read as text"
            )
        if self.flattened_tables:
            notes.append(
                f"{self.flattened_tables} table(s) nested more than {MAX_TABLE_NESTING} levels deep were read as text"
            )
        return notes


@dataclass(slots=True)
class Grid:
    rows: list[dict[int, str]] = field(default_factory=list)  # column -> text, non-empty cells only
    head: list[bool] = field(default_factory=list)
    columns: set[int] = field(default_factory=set)  # columns holding text in some kept row
    # Index into the source rows of the first row left out for the budget; None when every row is in.
    cut_at: int | None = None


def table_rows(table: etree._Element) -> list[Row]:
    """The table's own rows, <thead> first and <tfoot> last as browsers show them; nested tables' rows excluded.

    Each <thead>, <tbody>, <tfoot> is a row group, and so is each run of <tr> written directly in the <table>.
    """
    runs: list[tuple[str, list[etree._Element]]] = []  # (section, its rows) in source order
    for child in table:
        name = local_name(child)
        if name == "tr":
            if not runs or runs[-1][0] != "":
                runs.append(("", []))
            runs[-1][1].append(child)
        elif name in ("thead", "tbody", "tfoot"):
            runs.append((name, [row for row in child if local_name(row) == "tr"]))
    sections: dict[str, list[Row]] = {"thead": [], "tbody": [], "tfoot": []}
    for group, (name, rows) in enumerate(runs):
        sections[name or "tbody"].extend(Row(row, group, name == "thead") for row in rows)
    return sections["thead"] + sections["tbody"] + sections["tfoot"]


def is_layout_table(table: etree._Element, rows: list[Row]) -> bool:
    """Readability's rules, on the table's own cells: a table that places boxes on the page holds no data.

    Layout: role presentation, at most one cell, one column or one row of plain cells, or cells that hold headings
    or further tables. Data, whatever else holds: an infobox or wikitable class, a caption, <thead> or <th>.
    """
    if (table.get("role") or "").lower() in _LAYOUT_ROLES:
        return True
    if _DATA_CLASSES & set((table.get("class") or "").split()):
        return False
    if any(row.head for row in rows) or any(local_name(child) == "caption" for child in table):
        return False
    counts = []
    for row in rows:
        cells = row.cells
        if any(local_name(cell) == "th" for cell in cells):
            return False
        counts.append(len(cells))
    if sum(counts) <= 1 or len(rows) == 1 or max(counts) <= 1:
        return True
    # One pass over the table rather than one per cell; iter() yields the table itself first.
    return any(node is not table for node in islice(table.iter(*_PAGE_STRUCTURE), 2))


def span(value: str | None, limit: int, *, zero: int = 1) -> int:
    """An HTML span attribute as browsers read it: leading digits, clamped to 1..limit (0 -> ``zero``)."""
    digits = ""
    for char in (value or "").strip():
        if not char.isdigit():
            break
        digits += char
    if not digits:
        return 1
    number = int(digits[:7])  # longer numbers are clamped anyway; int() of a huge string costs time
    return zero if number == 0 else min(number, limit)


# Columns first..end (exclusive) that a rowspan from above still covers for ``rows`` more rows. Intervals, not one
# entry per column: a row of 1000 cells each spanning 1000 columns stays 1000 entries.
_Covered = tuple[int, int, int]


def _placements(cells: list[etree._Element], covered: list[_Covered]) -> Iterator[tuple[int, etree._Element, int, int]]:
    """(column, cell, colspan, rowspan) for a row's cells, skipping columns a rowspan from above covers."""
    blocked = sorted(covered)
    column, next_block = 0, 0
    for cell in cells:
        while next_block < len(blocked) and blocked[next_block][0] <= column:
            column = max(column, blocked[next_block][1])
            next_block += 1
        colspan = span(cell.get("colspan"), MAX_COLSPAN)
        rowspan = span(cell.get("rowspan"), MAX_ROWSPAN, zero=MAX_ROWSPAN)
        yield column, cell, colspan, rowspan
        column += colspan


def build_grid(rows: list[Row], cell_text: Callable[[etree._Element], str], budget: CellBudget) -> Grid:
    """Non-empty cells by column, row by row; ``cell_text`` runs once per cell, in reading order, for kept rows.

    Rows are kept sparse (only cells with text) so spans cost nothing until ``tidy`` lays out the columns that hold
    text; the budget counts those positions: kept rows times columns with text.
    """
    grid = Grid()
    limit = min(MAX_TABLE_CELLS, budget.left)
    covered: list[_Covered] = []
    group = None
    for index, row in enumerate(rows):
        if row.group != group:
            covered, group = [], row.group
        nodes = row.cells
        placed = list(_placements(nodes, covered))
        covered = [(first, end, left - 1) for first, end, left in covered if left > 1]
        covered += [(column, column + colspan, rowspan - 1) for column, _, colspan, rowspan in placed if rowspan > 1]
        # Checked before any cell text is made, counting every cell as if it held text: a cell's text may create
        # nested tables, and a row cut here is read again, as text, by the caller.
        columns = grid.columns.union(column for column, _, _, _ in placed)
        if (len(grid.rows) + 1) * len(columns) > limit:
            grid.cut_at = index
            budget.truncated_tables += 1
            break
        cells = {column: text for column, cell, _, _ in placed if (text := cell_text(cell))}
        if not cells:
            continue  # an empty row (spacer, image without alt) says nothing
        grid.columns |= cells.keys()
        grid.rows.append(cells)
        grid.head.append(row.head or all(local_name(cell) == "th" for cell in nodes))
    budget.left -= len(grid.rows) * len(grid.columns)
    return grid


def tidy(grid: Grid) -> tuple[list[list[str]], int]:
    """The grid as rows over the columns that hold text, and how many leading rows are header rows."""
    columns = sorted(grid.columns)
    rows = [[cells.get(column, "") for column in columns] for cells in grid.rows]
    header_rows = 0
    while header_rows < len(rows) and grid.head[header_rows]:
        header_rows += 1
    return rows, header_rows


def flatten(rows: list[list[str]]) -> str:
    """A nested table as its outer cell holds it: one line per row, non-empty cells separated by spaces."""
    lines = (" ".join(cell.replace("\n", " ") for cell in row if cell) for row in rows)
    return "\n".join(line for line in lines if line)
