"""Render a ParsedDocument as plain text or GitHub-flavoured Markdown, in reading order."""

from __future__ import annotations

import re

from webapp.pipeline.document import Element, ParsedDocument, Table

# Line starts that would turn a plain paragraph into a heading, list, quote or code fence in Markdown.
_BLOCK_MARKER = re.compile(r"^([ \t]{0,3})(#{1,6}(?=[ \t]|$)|>|[-*+](?=[ \t])|(\d{1,9})([.)])(?=[ \t])|```|~~~)", re.M)
_LIST_TYPES = ("list_item",)


def to_text(document: ParsedDocument) -> str:
    """Element texts separated by blank lines; tables as tab-separated rows."""
    blocks: list[str] = []
    for element in document.elements:
        if element.type == "page_break":
            continue
        table = _table_of(document, element)
        text = table_text(table) if table is not None else element.text
        if text.strip():
            blocks.append(text.strip("\n"))
    return "\n\n".join(blocks)


def to_markdown(document: ParsedDocument) -> str:
    parts: list[str] = []
    previous: Element | None = None
    for element in document.elements:
        block = _markdown_block(document, element)
        if not block:
            continue
        if parts:
            # Consecutive list items form one list: a single newline keeps them together.
            tight = previous is not None and previous.type in _LIST_TYPES and element.type in _LIST_TYPES
            parts.append("\n" if tight else "\n\n")
        parts.append(block)
        previous = element
    return "".join(parts) + ("\n" if parts else "")


def table_text(table: Table) -> str:
    return "\n".join("\t".join(cell.replace("\n", " ") for cell in row) for row in table.rows)


def markdown_table(table: Table) -> str:
    width = max((len(row) for row in table.rows), default=0)
    if width == 0:
        return ""
    rows = [[_cell(cell) for cell in row] + [""] * (width - len(row)) for row in table.rows]
    lines = [_row(rows[0]), _row(["---"] * width)]
    lines.extend(_row(row) for row in rows[1:])
    return "\n".join(lines)


def _markdown_block(document: ParsedDocument, element: Element) -> str:
    kind, text = element.type, element.text.strip("\n")
    if kind == "page_break":
        return ""
    table = _table_of(document, element)
    if table is not None:
        return markdown_table(table)
    if not text.strip():
        return ""
    if kind == "title":
        return "# " + _one_line(text)
    if kind == "heading":
        level = min(max(element.level or 1, 1), 6)
        return "#" * level + " " + _one_line(text)
    if kind == "list_item":
        indent = "  " * (element.level or 0)
        marker = "1. " if element.ordered else "- "
        continuation = "\n" + indent + " " * len(marker)
        return indent + marker + _escape(text).replace("\n", continuation)
    if kind == "code":
        fence = "```"
        while fence in text:
            fence += "`"
        return f"{fence}\n{text}\n{fence}"
    if kind == "quote":
        return "\n".join("> " + line if line else ">" for line in _escape(text).split("\n"))
    return _escape(text)


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


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
