"""Render a ParsedDocument as plain text or GitHub-flavoured Markdown, in reading order."""

from __future__ import annotations

import re

from webapp.pipeline.document import Element, ParsedDocument, Table

# Line starts that would turn a plain paragraph into a heading, list, quote or code fence in Markdown.
_BLOCK_MARKER = re.compile(r"^([ \t]{0,3})(#{1,6}(?=[ \t]|$)|>|[-*+](?=[ \t])|(\d{1,9})([.)])(?=[ \t])|```|~~~)", re.M)


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
    writer = _MarkdownWriter(document)
    for element in document.elements:
        writer.add(element)
    return writer.result()


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


class _MarkdownWriter:
    def __init__(self, document: ParsedDocument) -> None:
        self.document = document
        self.parts: list[str] = []
        self.previous: Element | None = None
        # Per open list level: (next number, width of the marker). Nested items are indented to their parent's
        # content column, which is what CommonMark needs to keep them nested under "1. " items.
        self.lists: list[tuple[int, int]] = []
        # With a title present, the document's own level-1 headings render one level down, under it.
        has_title = any(element.type == "title" for element in document.elements)
        top_headings = any(element.type == "heading" and element.level == 1 for element in document.elements)
        self.heading_shift = 1 if has_title and top_headings else 0

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


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
