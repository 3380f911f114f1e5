"""Markdown: block structure (headings, lists, quotes, code, pipe tables) into elements; inline markup removed.

A line-based reader covering what documents use in practice, not a CommonMark implementation: element texts are
plain text, and the Markdown renderer writes the structure back.
"""

from __future__ import annotations

import re
from typing import Any

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source, Table
from webapp.pipeline.parsers.text import add_encoding_facts
from webapp.pipeline.parsers.textio import open_lines
from webapp.pipeline.render import table_text

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BREAK = re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
_LIST = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?(.*)$")
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")

_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # link -> its text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference link
    (re.compile(r"<(https?://[^>\s]+|[^>\s@]+@[^>\s]+)>"), r"\1"),  # autolink
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\w)"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),  # backslash escapes
)


def strip_inline(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


class MarkdownParser(Parser):
    name = "markdown"
    mime_types = {"text/markdown": 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        reader = _BlockReader()
        with open_lines(source.path, detection.encoding) as (lines, repairs):
            for line in lines:
                reader.feed(line.expandtabs(4))
        reader.finish()
        document = ParsedDocument(elements=reader.elements, tables=reader.tables)
        add_encoding_facts(document, detection.encoding, repairs.count)
        return document


class _BlockReader:
    def __init__(self) -> None:
        self.elements: list[Element] = []
        self.tables: list[Table] = []
        self.paragraph: list[str] = []
        self.quote: list[str] = []
        self.fence: str | None = None
        self.code: list[str] = []
        self.table: list[list[str]] | None = None
        self.list_indents: list[int] = []
        self.in_list = False
        self.after_blank = False

    def feed(self, line: str) -> None:
        if self.fence is not None:
            self._in_fence(line)
        elif not line.strip():
            self.flush()
            self.after_blank = True
            return
        elif self.table is not None and "|" in line:
            self.table.append(_cells(line))
        else:
            self._block_line(line)
        self.after_blank = False

    def finish(self) -> None:
        if self.fence is not None:
            self.elements.append(Element("code", "\n".join(self.code)))
            self.fence = None
        self.flush()

    def flush(self) -> None:
        if self.paragraph:
            self._emit_paragraph()
        if self.quote:
            self.elements.append(Element("quote", strip_inline("\n".join(self.quote))))
            self.quote = []
        if self.table is not None:
            table = Table(self.table, header_rows=1)  # a GFM table always has its header row
            self.tables.append(table)
            self.elements.append(Element("table", table_text(table), table_index=len(self.tables) - 1))
            self.table = None

    def _emit_paragraph(self) -> None:
        text = strip_inline("\n".join(self.paragraph))
        last = self.elements[-1] if self.elements else None
        if self.in_list and last is not None and last.type == "list_item":
            last.text += " " + " ".join(text.split())  # lazy continuation of the list item
        else:
            self.elements.append(Element("paragraph", text))
        self.paragraph = []

    def _in_fence(self, line: str) -> None:
        match = _FENCE.match(line)
        if match and match.group(1)[0] == self.fence[0] and len(match.group(1)) >= len(self.fence):
            self.elements.append(Element("code", "\n".join(self.code)))
            self.fence, self.code = None, []
        else:
            self.code.append(line)

    def _block_line(self, line: str) -> None:
        if fence := _FENCE.match(line):
            self.flush()
            self.fence, self.code, self.in_list = fence.group(1), [], False
        elif heading := _ATX.match(line):
            self.flush()
            text = strip_inline((heading.group(2) or "").strip())
            self.elements.append(Element("heading", text, level=len(heading.group(1))))
            self.in_list = False
        elif self.paragraph and not self.in_list and (setext := _SETEXT.match(line)):
            text = strip_inline(" ".join(part.strip() for part in self.paragraph))
            self.paragraph = []
            self.elements.append(Element("heading", text, level=1 if setext.group(1)[0] == "=" else 2))
        elif _BREAK.match(line):
            self.flush()
            self.in_list = False
        elif item := _LIST.match(line):
            self.flush()
            self._list_item(len(item.group(1)), item.group(2), item.group(3))
        elif quote := _QUOTE.match(line):
            if self.paragraph:
                self._emit_paragraph()
            self.quote.append(quote.group(1))
        elif len(self.paragraph) == 1 and "|" in self.paragraph[0] and _TABLE_SEPARATOR.match(line) and "-" in line:
            self.table = [_cells(self.paragraph[0])]
            self.paragraph = []
        else:
            if self.quote:
                self.flush()
            if self.in_list and self.after_blank and not line.startswith("  "):
                self.in_list = False  # an unindented paragraph after a blank line ends the list
            self.paragraph.append(line.strip())

    def _list_item(self, indent: int, marker: str, text: str) -> None:
        if not self.in_list:
            self.list_indents = []
        while self.list_indents and indent < self.list_indents[-1]:
            self.list_indents.pop()
        if not self.list_indents or indent > self.list_indents[-1]:
            self.list_indents.append(indent)
        level = len(self.list_indents) - 1
        ordered = marker[0].isdigit()
        self.elements.append(Element("list_item", strip_inline(text.strip()), level=level, ordered=ordered))
        self.in_list = True


def _cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = re.split(r"(?<!\\)\|", body)
    return [strip_inline(cell.strip()) for cell in cells]
