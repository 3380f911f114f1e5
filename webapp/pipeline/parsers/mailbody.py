"""What e-mail formats (EML, Outlook MSG) share: the header block, and bodies or text attachments as elements.

A plain-text body is split into blocks at blank lines; a block whose lines all start with ">" is a quote, lines
starting with a bullet ("-", "*", "•") or a number ("1." / "1)") are list items, anything else a paragraph. An HTML
body goes through the HTML parser's own walker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from webapp.pipeline.document import Element, ParsedDocument, Table
from webapp.pipeline.parsers.html import parse_html
from webapp.pipeline.parsers.html_walk import HtmlWalker, local_name

_LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:(?P<bullet>[-*•])|(?P<number>\d{1,3})[.)])[ \t]+(?P<text>\S.*)$")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_HEADER_FIELDS = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("date", "Date"))
# Attachments whose text is read into the document: text/* (HTML through the walker).
TEXT_ATTACHMENT_LIMIT = 10 * 1024 * 1024


@dataclass(slots=True)
class Body:
    elements: list[Element] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def header_elements(headers: dict[str, Any]) -> list[Element]:
    """The subject as the title, then one header element with From, To, Cc and Date lines."""
    elements = []
    if headers.get("subject"):
        elements.append(Element("title", headers["subject"]))
    lines = []
    for key, label in _HEADER_FIELDS:
        value = headers.get(key)
        if value:
            lines.append(f"{label}: {', '.join(value) if isinstance(value, list) else value}")
    if lines:
        elements.append(Element("header", "\n".join(lines)))
    return elements


def add_body(document: ParsedDocument, body: Body) -> None:
    """Append a body's elements, renumbering its tables after the ones the document already has."""
    offset = len(document.tables)
    for element in body.elements:
        if element.table_index is not None:
            element.table_index += offset
        document.elements.append(element)
    document.tables.extend(body.tables)
    document.warnings.extend(warning for warning in body.warnings if warning not in document.warnings)


def plain_body(text: str) -> Body:
    body = Body()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for block in _BLANK_LINES.split(text):
        if block.strip():
            body.elements.extend(_block_elements(block.strip("\n")))
    return body


def html_body(text: str) -> Body:
    body = Body()
    root = parse_html(text, body.warnings)
    if root is None:
        return body
    node = next((node for node in root.iter() if local_name(node) == "body"), root)
    walker = HtmlWalker()
    walker.walk_block(node)
    body.elements, body.tables = walker.elements, walker.tables
    return body


def _block_elements(block: str) -> list[Element]:
    lines = [line.rstrip() for line in block.split("\n")]
    if all(line.lstrip().startswith(">") for line in lines if line.strip()):
        quoted = "\n".join(re.sub(r"^\s*>+ ?", "", line) for line in lines).strip()
        return [Element("quote", quoted)] if quoted else []
    elements: list[Element] = []
    paragraph: list[str] = []
    for line in lines:
        match = _LIST_ITEM.match(line)
        if match:
            if paragraph:
                elements.append(Element("paragraph", "\n".join(paragraph).strip()))
                paragraph = []
            indent = len(match.group("indent").expandtabs(4))
            ordered = match.group("number") is not None
            elements.append(Element("list_item", match.group("text").strip(), level=indent, ordered=ordered))
        elif elements and elements[-1].type == "list_item" and line[:1] in (" ", "\t") and not paragraph:
            elements[-1].text += " " + line.strip()  # a wrapped list item continues indented
        else:
            paragraph.append(line)
    if paragraph and "\n".join(paragraph).strip():
        elements.append(Element("paragraph", "\n".join(paragraph).strip()))
    _indents_to_levels([element for element in elements if element.type == "list_item"])
    return elements


def _indents_to_levels(items: list[Element]) -> None:
    """Indent widths (stored in ``level`` meanwhile) become depths: the least indented items are level 0."""
    indents = sorted({item.level or 0 for item in items})
    for item in items:
        item.level = min(indents.index(item.level or 0), 8)
