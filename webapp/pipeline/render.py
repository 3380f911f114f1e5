"""Render a ParsedDocument as plain text or GitHub-flavoured Markdown, in reading order.

Page furniture (running headers and footers, ``FURNITURE_TYPES``) is left out unless ``keep_furniture``: it stays
in the result's elements. ``document_from_dicts`` turns a stored result's elements back into a document, so a page
selection of a result is rendered by these same functions.
"""

from __future__ import annotations

import re
from typing import Any

from webapp.pipeline.document import FURNITURE_TYPES, Element, ParsedDocument, Table

# Line starts that would turn a plain paragraph into a heading, list, quote or code fence in Markdown.
_BLOCK_MARKER = re.compile(r"^([ \t]{0,3})(#{1,6}(?=[ \t]|$)|>|[-*+](?=[ \t])|(\d{1,9})([.)])(?=[ \t])|```|~~~)", re.M)


def to_text(document: ParsedDocument, keep_furniture: bool = False) -> str:
    """Element texts separated by blank lines; tables as tab-separated rows."""
    blocks: list[str] = []
    for element in document.elements:
        if element.type == "page_break" or (element.type in FURNITURE_TYPES and not keep_furniture):
            continue
        table = _table_of(document, element)
        text = table_text(table) if table is not None else element.text
        if text.strip():
            blocks.append(text.strip("\n"))
    return "\n\n".join(blocks)


def to_markdown(document: ParsedDocument, keep_furniture: bool = False, heading_shift: int | None = None) -> str:
    """GFM in reading order. ``heading_shift``: how many levels headings move down (default: one when the document
    has a title and level-1 headings, see ``heading_shift``); a page selection passes its whole document's."""
    writer = _MarkdownWriter(document, heading_shift)
    for element in document.elements:
        if element.type in FURNITURE_TYPES and not keep_furniture:
            continue
        writer.add(element)
    return writer.result()


def heading_shift(document: ParsedDocument) -> int:
    """With a title present, the document's own level-1 headings render one level down, under it."""
    has_title = any(element.type == "title" for element in document.elements)
    top_headings = any(element.type == "heading" and element.level == 1 for element in document.elements)
    return 1 if has_title and top_headings else 0


def document_from_dicts(elements: list[dict[str, Any]], tables: list[dict[str, Any]] | None = None) -> ParsedDocument:
    """A document rebuilt from a result's element dicts (``element_dict``), enough to render it again.

    A table element carries its rows; one stored before elements did is matched to ``tables`` by ``table_index``.
    """
    document = ParsedDocument()
    for data in elements:
        element = Element(
            str(data.get("type") or "paragraph"),
            str(data.get("text") or ""),
            page=data.get("page"),
            level=data.get("level"),
            ordered=bool(data.get("ordered")),
        )
        if element.type == "table":
            table = _table_from_dict(data, tables or [])
            if table is not None:
                element.table_index = len(document.tables)
                document.tables.append(table)
        document.elements.append(element)
    return document


def _table_from_dict(element: dict[str, Any], tables: list[dict[str, Any]]) -> Table | None:
    source = element
    if "rows" not in element:
        index = element.get("table_index")
        if not isinstance(index, int) or not 0 <= index < len(tables):
            return None
        source = tables[index]
    rows = [["" if cell is None else str(cell) for cell in row] for row in source.get("rows") or []]
    return Table(rows, page=source.get("page"), header_rows=int(source.get("header_rows") or 0))


def table_text(table: Table) -> str:
    return "\n".join("\t".join(cell.replace("\n", " ") for cell in row) for row in table.rows)


def markdown_table(table: Table) -> str:
    """A GFM table. GFM has exactly one header row: the first row (further header rows follow it as body rows).

    A table without recognised header rows still shows its first row as the header, as every Markdown converter
    does: an empty header row reads worse, and ``header_rows`` in the JSON says what is known."""
    width = max((len(row) for row in table.rows), default=0)
    if width == 0:
        return ""
    rows = [[_cell(cell) for cell in row] + [""] * (width - len(row)) for row in table.rows]
    header, body = rows[0], rows[1:]
    lines = [_row(header), _row(["---"] * width)]
    lines.extend(_row(row) for row in body)
    return "\n".join(lines)


class _MarkdownWriter:
    def __init__(self, document: ParsedDocument, shift: int | None = None) -> None:
        self.document = document
        self.parts: list[str] = []
        self.previous: Element | None = None
        # Per open list level: (next number, width of the marker). Nested items are indented to their parent's
        # content column, which is what CommonMark needs to keep them nested under "1. " items.
        self.lists: list[tuple[int, int]] = []
        self.heading_shift = heading_shift(document) if shift is None else shift

    def add(self, element: Element) -> None:
        if element.type == "page_break":
            return  # a list or paragraph may continue on the next page
        block = self._block(element)
        if not block:
            return
        if self.parts:
            # Consecutive list items form one list: a single newline keeps them together.
            tight = self.previous is not None and self.previous.type == "list_item" and element.type == "list_item"
            self.parts.append("\n" if tight else "\n\n")
        self.parts.append(block)
        self.previous = element

    def result(self) -> str:
        return "".join(self.parts) + ("\n" if self.parts else "")

    def _block(self, element: Element) -> str:
        kind, text = element.type, element.text.strip("\n")
        table = _table_of(self.document, element)
        if kind != "list_item" and (table is not None or text.strip()):
            self.lists.clear()
        if table is not None:
            return markdown_table(table)
        if not text.strip():
            return ""
        if kind == "title":
            return "# " + _one_line(text)
        if kind == "heading":
            level = min(max((element.level or 1) + self.heading_shift, 1), 6)
            return "#" * level + " " + _one_line(text)
        if kind == "list_item":
            return self._list_item(element, text)
        if kind == "code":
            fence = "```"
            while fence in text:
                fence += "`"
            return f"{fence}\n{text}\n{fence}"
        if kind == "quote":
            return "\n".join("> " + line if line else ">" for line in _escape(text).split("\n"))
        return _escape(text)

    def _list_item(self, element: Element, text: str) -> str:
        level = max(element.level or 0, 0)
        del self.lists[level + 1 :]
        while len(self.lists) <= level:
            self.lists.append((1, 2))  # levels skipped by the source get a default indent
        number = self.lists[level][0] if element.ordered else 0
        marker = f"{number}. " if element.ordered else "- "
        self.lists[level] = (number + 1, len(marker))
        indent = " " * sum(width for _, width in self.lists[:level])
        continuation = "\n" + indent + " " * len(marker)
        return indent + marker + _escape(text).replace("\n", continuation)


def _table_of(document: ParsedDocument, element: Element) -> Table | None:
    if element.type != "table" or element.table_index is None:
        return None
    if 0 <= element.table_index < len(document.tables):
        return document.tables[element.table_index]
    return None


def _escape(text: str) -> str:
    """Escape only what would change the block structure; inline punctuation stays readable."""
    return _BLOCK_MARKER.sub(_escape_marker, text)


def _escape_marker(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    if match.group(3):  # "1." -> "1\." keeps the number but not the list
        return indent + match.group(3) + "\\" + match.group(4)
    return indent + "\\" + marker


def _one_line(text: str) -> str:
    return " ".join(text.split())


# A pipe with the backslashes before it: each backslash is doubled so that none of them escapes the pipe's own.
_PIPE = re.compile(r"(\\*)\|")


def _cell(text: str) -> str:
    """One line (newlines and runs of spaces become one space, none at either end) with every pipe escaped."""
    return _PIPE.sub(lambda match: match.group(1) * 2 + "\\|", " ".join(text.split()))


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
