"""XLSX and XLSM with openpyxl in read-only mode: rows are streamed, so memory follows the cells kept, not the file.

Per sheet, in workbook order: a level-1 heading with the sheet's name, then one table holding the sheet's used range
(fully empty rows dropped, empty leading and trailing columns trimmed). Elements and tables carry the sheet's number
as their ``page``. Values are the cached results (``data_only``): a formula never calculated by a spreadsheet
program has none. Number formats (percent, currency, thousands separators) are not applied: the raw value is given.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
from lxml import etree
from openpyxl.utils.exceptions import InvalidFileException

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
                _add_sheet(document, sheet, number, budget, tables)
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
        self.used += max(cells, 1)  # a run of missing rows costs a step each
        if self.used > self.limit:
            raise LimitExceededError(f"the document has more than {self.limit:,} table cells (limit max_cells)")


def _add_sheet(document: ParsedDocument, sheet: Any, number: int, budget: CellBudget, tables: bool) -> None:
    document.elements.append(Element("heading", sheet.title, page=number, level=1))
    # The declared dimension may be stale or hostile (A1:XFD1048576): rows are taken as wide as their own cells.
    sheet.reset_dimensions()
    try:
        rows = used_range(_text_rows(sheet.iter_rows(values_only=True), budget))
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


def _text_rows(rows: Iterable[tuple[Any, ...]], budget: CellBudget) -> list[list[str]]:
    """Non-empty rows as cell texts, trailing empty cells dropped."""
    kept: list[list[str]] = []
    for values in rows:
        budget.spend(len(values))
        cells = [cell_text(value) for value in values]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            kept.append(cells)
    return kept


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
