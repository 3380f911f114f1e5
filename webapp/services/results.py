"""A stored result as clients read it: whole or for a selection of pages, its tables as CSV, and what its
pipeline asked the parse stage for (furniture kept? tables detected?)."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from webapp.models import Job, Result
from webapp.pipeline.config import FieldError
from webapp.pipeline.document import ParsedDocument
from webapp.pipeline.pagerange import PageRange, PageRangeError, parse_page_range
from webapp.pipeline.registry import stage_class
from webapp.pipeline.render import document_from_dicts, heading_shift, to_markdown, to_text
from webapp.services import chunks
from webapp.services.errors import NotFoundError, ValidationFailed

# Parsers that never find tables: for them "no tables" says nothing about the document.
PARSERS_WITHOUT_TABLES = frozenset({"text", "json", "xml"})


def parse_options(job: Job) -> dict[str, Any]:
    """The parse stage's options in the pipeline version the job ran, defaults filled in ({} without parse)."""
    for stage in job.pipeline_version.stages or []:
        if stage.get("name") == "parse":
            return {**stage_class("parse").defaults(), **(stage.get("options") or {})}
    return {}


def keeps_furniture(job: Job) -> bool:
    return parse_options(job).get("furniture") == "keep"


def table_detection(job: Job, metadata: dict[str, Any]) -> str:
    """ "on" when the job's parse looked for tables, "off" when its pipeline turned that off, "unsupported" when
    the document's format has no tables (plain text, JSON, XML)."""
    if metadata.get("parser") in PARSERS_WITHOUT_TABLES:
        return "unsupported"
    return "on" if parse_options(job).get("tables", True) else "off"


def parse_selection(text: str | None) -> PageRange | None:
    """``?pages=`` as a PageRange; None when the parameter is absent; a 422 naming ``pages`` when malformed."""
    if text is None:
        return None
    try:
        return parse_page_range(text)
    except PageRangeError as exc:
        raise ValidationFailed([FieldError("pages", str(exc))]) from None


def select_pages(result: dict[str, Any], selection: PageRange, keep_furniture: bool = False) -> dict[str, Any]:
    """The result (``result_to_dict``) for the selected pages only: their elements (a table's element when the
    table touches one of them), the tables and chunks that touch them, their page entries, and text and Markdown
    rendered again from those elements. ``table_index`` keeps naming the table's place in the whole result (as in
    ``GET /jobs/{id}/tables/{n}.csv``), a chunk's ``index`` its place among all the chunks."""
    elements = result.get("elements") or []
    tables = result.get("tables") or []
    chosen = [index for index, element in enumerate(elements) if _touches(_element_pages(element), selection)]
    selected = dict(result)
    selected["elements"] = [elements[index] for index in chosen]
    selected["tables"] = [table for table in tables if _touches(_table_pages(table), selection)]
    selected["pages"] = [page for page in result.get("pages") or [] if page.get("number") in selection]
    if "chunks" in result:
        selected["chunks"] = chunks.select_pages(result["chunks"], selection)
    whole = document_from_dicts(elements, tables)
    part = ParsedDocument(elements=[whole.elements[index] for index in chosen], tables=whole.tables)
    if result.get("text"):
        selected["text"] = to_text(part, keep_furniture)
    if result.get("markdown"):
        selected["markdown"] = to_markdown(part, keep_furniture, heading_shift(whole))
    return selected


def _element_pages(element: dict[str, Any]) -> list[int]:
    pages = element.get("pages") if element.get("type") == "table" else None
    if pages:
        return list(pages)
    return [element["page"]] if isinstance(element.get("page"), int) else []


def _table_pages(table: dict[str, Any]) -> list[int]:
    if table.get("pages"):
        return list(table["pages"])
    return [table["page"]] if isinstance(table.get("page"), int) else []


def _touches(pages: list[int], selection: PageRange) -> bool:
    return any(number in selection for number in pages)


def table_csv(result: Result, index: int) -> str:
    """Table ``index`` (0-based, as in ``tables``) as RFC 4180 CSV: every cell exactly as extracted.

    Cells are not altered against spreadsheet formula injection (a leading ``=``, ``+``, ``-``, ``@``): the file
    is data, ``csv.reader`` gives back the result's rows, and "-1,204" in a financial table must stay a number.
    Open untrusted CSV in a spreadsheet through its import dialog, with the columns as text.
    """
    tables = result.tables or []
    if not 0 <= index < len(tables):
        count = f"{len(tables)} table{'' if len(tables) == 1 else 's'}"
        raise NotFoundError(f"no table {index}: the result has {count}, numbered from 0")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in tables[index].get("rows") or []:
        writer.writerow(["" if cell is None else str(cell) for cell in row])
    return buffer.getvalue()


def file_stem(job: Job, fallback: str = "result") -> str:
    """The uploaded file's name without its extension, for naming downloads ("report.pdf" -> "report")."""
    return job.filename.rsplit(".", 1)[0] or fallback


def csv_filename(job: Job, index: int) -> str:
    """``<file stem>-table-<n>.csv``, e.g. ``report-table-0.csv``."""
    return f"{file_stem(job)}-table-{index}.csv"


def jsonl_filename(job: Job) -> str:
    """``<file stem>.jsonl``, e.g. ``report.jsonl`` (what ``docpipe submit --format chunks`` writes)."""
    return f"{file_stem(job, 'chunks')}.jsonl"


def attachment_header(filename: str) -> str:
    """``Content-Disposition`` for a download named ``filename``: a quoted ASCII name every client reads, and the
    exact UTF-8 name (RFC 6266 ``filename*``) beside it when the two differ."""
    plain = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    if plain == filename:
        return f'attachment; filename="{plain}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def with_ids(
    elements: list[dict[str, Any]], tables: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Results stored before elements had ids get them on the way out (``e1``, ``e2`` ... in order, as
    ``assign_ids`` numbers them), and each table its element's id, pages and header rows. Copies: the stored
    lists are never changed. A result that has ids comes back as it is."""
    if not elements or elements[0].get("id"):
        return elements, tables
    elements = [dict(element) for element in elements]
    tables = [dict(table) for table in tables]
    for number, element in enumerate(elements, start=1):
        element["id"] = f"e{number}"
        index = element.get("table_index")
        if element.get("type") == "table" and isinstance(index, int) and 0 <= index < len(tables):
            tables[index].setdefault("id", element["id"])
    for table in tables:
        table.setdefault("id", "")
        table.setdefault("header_rows", 0)
        table.setdefault("pages", _table_pages(table))
    return elements, tables
