"""XLSX and XLSM: openpyxl (read-only) for the workbook, each sheet's XML streamed here, keeping only cells with values.

Per sheet, in workbook order: a level-1 heading with the sheet's name, then one table holding the cells that hold
values (fully empty rows dropped, empty leading and trailing columns trimmed). Elements and tables carry the sheet's
number as their ``page``. Values are the cached results (``data_only``): a formula never calculated by a spreadsheet
program has none. Number formats (percent, currency, thousands separators) are not applied: the raw value is given.

The declared range (``<dimension ref="A1:XFD1048576"/>``), formatted but empty rows and cells, and gaps in the row
numbers cost nothing beyond reading their XML: ``max_cells`` counts the cells of the tables given, so a workbook
formatted down to row 1,048,576 that holds forty values is forty cells, and one that holds two million values is
refused.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
from lxml import etree
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import CELL_TAG, ROW_TAG, WorkSheetParser

from webapp.pipeline.base import Parser
from webapp.pipeline.detect import XLSM, XLSX
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source, Table
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.parsers.archive import check_archive
from webapp.pipeline.parsers.officemeta import core_properties
from webapp.pipeline.render import table_text

# Cells read, empty ones inside the grid included: the work a sheet costs, whatever it keeps.
MAX_CELLS = 1_000_000
_ERRORS = (
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    OverflowError,
    zipfile.BadZipFile,
    ParseError,
    etree.XMLSyntaxError,
    EOFError,
    OSError,
)
# openpyxl warns about features it drops on read (data validation, conditional formats, default styles): none of
# them changes the values extracted.
_NOISE = re.compile(r"extension is not supported|Unknown extension|default style|Conditional Formatting|header or foot")


class XlsxParser(Parser):
    name = "xlsx"
    mime_types = {XLSX: 100, XLSM: 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        check_archive(source.path)
        # catch_warnings swaps a process-wide filter list: parsing runs one document per process or thread at a time.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            document = _read_workbook(source.path, options.get("max_cells", MAX_CELLS), options.get("tables", True))
        for warning in caught:
            message = str(warning.message)
            if not _NOISE.search(message) and message not in document.warnings:
                document.warnings.append(message)
        return document


def _read_workbook(path: Path, max_cells: int, tables: bool) -> ParsedDocument:
    document = ParsedDocument()
    # A file object, not a path: openpyxl refuses paths whose extension it does not know (stored blobs have none).
    with path.open("rb") as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True, keep_links=False)
        except _ERRORS as exc:
            raise CorruptFileError(f"the spreadsheet cannot be opened: {_reason(exc)}") from None
        try:
            budget = CellBudget(max_cells)
            for number, sheet in enumerate(workbook.worksheets, start=1):
                _add_sheet(document, workbook, sheet, number, budget, tables)
            names = [sheet.title for sheet in workbook.worksheets]
            hidden = [sheet.title for sheet in workbook.worksheets if sheet.sheet_state != "visible"]
        finally:
            workbook.close()
    document.metadata.update(core_properties(path))
    document.metadata.update(sheet_count=len(names), sheets=names)
    if hidden:
        document.metadata["hidden_sheets"] = hidden
    document.signals.update(cells=budget.used, tables=len(document.tables))
    return document


class CellBudget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, cells: int) -> None:
        self.used += max(cells, 1)  # a run of missing rows costs a step each (ODF)
        if self.used > self.limit:
            raise LimitExceededError(f"the document has more than {self.limit:,} table cells (limit max_cells)")


def _add_sheet(
    document: ParsedDocument, workbook: Any, sheet: Any, number: int, budget: CellBudget, tables: bool
) -> None:
    document.elements.append(Element("heading", sheet.title, page=number, level=1))
    try:
        rows = _grid(_value_rows(workbook, sheet, budget), budget)
    except _ERRORS as exc:
        raise CorruptFileError(f"sheet {sheet.title!r} cannot be read: {_reason(exc)}") from None
    if not rows:
        return
    if tables:
        table = Table(rows, page=number)
        document.tables.append(table)
        document.elements.append(Element("table", table_text(table), page=number, table_index=len(document.tables) - 1))
    else:
        for row in rows:
            document.elements.append(Element("paragraph", "\t".join(cell for cell in row if cell), page=number))


def _value_rows(workbook: Any, sheet: Any, budget: CellBudget) -> list[dict[int, str]]:
    """The sheet's rows that hold a value, in row order, as {column number: text}; each value is spent.

    The sheet's XML is read here, not with ``iter_rows``: that steps through every missing row number and keeps
    the attributes of every formatted row, so a sheet formatted down to row 1,048,576 cost ~10 s and ~400 MB
    for nothing. openpyxl's own cell parser still turns each value into Python (shared strings, dates, errors);
    ``sheet._get_source`` and the workbook's date formats are what its ``iter_rows`` uses (openpyxl is pinned).
    """
    parser = WorkSheetParser(
        None,
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    numbered: list[tuple[int, dict[int, str]]] = []
    with sheet._get_source() as stream:
        for _, row in etree.iterparse(stream, tag=ROW_TAG, resolve_entities=False, no_network=True):
            parser.row_counter = _row_number(row.get("r"), parser.row_counter)
            cells = _row_values(parser, row) if len(row) else None
            # Memory stays flat however many rows: the row and the (already cleared) ones before it go.
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
            if cells:
                budget.spend(len(cells))
                numbered.append((parser.row_counter, cells))
    numbered.sort(key=lambda pair: pair[0])  # rows written out of order are shown in order
    return [cells for _, cells in numbered]


def _row_number(attribute: str | None, previous: int) -> int:
    if attribute is None:
        return previous + 1
    try:
        return int(attribute)
    except ValueError:
        return int(float(attribute))  # "12.0", as some writers put it; anything else is a damaged sheet


def _row_values(parser: WorkSheetParser, row: Any) -> dict[int, str]:
    parser.col_counter = 0
    cells: dict[int, str] = {}
    for cell in row.iterchildren(CELL_TAG):
        if not len(cell):  # formatted, no value (a value is a <v> or an <is> child)
            if cell.get("r") is None:
                parser.col_counter += 1
            continue
        parsed = parser.parse_cell(cell)
        text = cell_text(parsed["value"])
        if text:
            cells[parsed["column"]] = text
    return cells


def _grid(rows: list[dict[int, str]], budget: CellBudget) -> list[list[str]]:
    """The rows as one table from the first to the last column holding a value; its empty cells are spent."""
    if not rows:
        return []
    lead = min(min(cells) for cells in rows)
    width = max(max(cells) for cells in rows) - lead + 1
    # Checked before the grid is built: one value in column XFD must not make every row 16,384 cells wide.
    padding = len(rows) * width - sum(len(cells) for cells in rows)
    if padding:
        budget.spend(padding)
    return [[cells.get(lead + offset, "") for offset in range(width)] for cells in rows]


def used_range(rows: list[list[str]]) -> list[list[str]]:
    """Drop the empty columns every row starts with, and pad rows to one width."""
    if not rows:
        return rows
    lead = min(next(index for index, cell in enumerate(row) if cell) for row in rows)
    width = max(len(row) for row in rows) - lead
    return [row[lead:] + [""] * (width - len(row) + lead) for row in rows]


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"  # 0.1 + 0.2 is shown as 0.3, like the spreadsheet does
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__
