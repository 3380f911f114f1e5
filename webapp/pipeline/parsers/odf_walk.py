"""Walk OpenDocument body XML (text, table and drawing namespaces) into elements and tables.

Text: ``text:h`` is a heading at its outline level, ``text:p`` a paragraph, ``text:list`` nests list items (ordered
when the list's style numbers that level), footnote and endnote bodies come out as ``footnote`` elements after their
paragraph, annotations (comments) are skipped. Tables expand repeated rows and cells only where they hold content:
spreadsheets repeat empty cells to the edge of the sheet (1,048,576 rows), which must cost nothing.
"""

from __future__ import annotations

from lxml import etree

from webapp.pipeline.document import Element, Table
from webapp.pipeline.parsers.xlsx import CellBudget, used_range
from webapp.pipeline.render import table_text

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
PRESENTATION = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
_CONTAINERS = {f"{TEXT}section", f"{TEXT}index-body", f"{TEXT}table-of-content", f"{TEXT}alphabetical-index",
               f"{TEXT}illustration-index", f"{TEXT}table-index", f"{TEXT}bibliography", f"{TEXT}user-index",
               f"{TEXT}object-index", f"{DRAW}text-box", f"{TEXT}note-body", f"{TABLE}table-cell"}  # fmt: skip
_ROW_GROUPS = {f"{TABLE}table-header-rows", f"{TABLE}table-rows", f"{TABLE}table-row-group"}
_SKIP_INLINE = {f"{OFFICE}annotation", f"{OFFICE}annotation-end", f"{TEXT}note", f"{TEXT}tracked-changes"}
_MAX_DEPTH = 200


class OdfWalker:
    def __init__(self, budget: CellBudget, list_styles: dict[str, set[int]], tables: bool = True) -> None:
        self.budget = budget
        # List style name -> the levels (1-based) it numbers.
        self.list_styles = list_styles
        self.extract_tables = tables
        self.elements: list[Element] = []
        self.tables: list[Table] = []
        self.page: int | None = None

    def walk(self, container: etree._Element, depth: int = 0) -> None:
        for child in container.iterchildren(tag=etree.Element):
            self._node(child, depth)

    def _node(self, node: etree._Element, depth: int) -> None:
        tag = node.tag
        if tag == f"{TEXT}h":
            self._paragraph(node, "heading", _outline_level(node))
        elif tag == f"{TEXT}p":
            self._paragraph(node, "paragraph", None)
        elif tag == f"{TEXT}list" and depth < _MAX_DEPTH:
            self._list(node, 0, node.get(f"{TEXT}style-name", ""), depth)
        elif tag == f"{TABLE}table":
            self.table(node)
        elif (tag in _CONTAINERS or tag in (f"{DRAW}frame", f"{DRAW}g")) and depth < _MAX_DEPTH:
            self.walk(node, depth + 1)

    def add(self, kind: str, text: str, level: int | None = None, ordered: bool = False) -> None:
        text = text.strip()
        if text:
            self.elements.append(Element(kind, text, page=self.page, level=level, ordered=ordered))

    def _paragraph(self, node: etree._Element, kind: str, level: int | None, ordered: bool = False) -> None:
        self.add(kind, paragraph_text(node), level=level, ordered=ordered)
        for note in _own(node, f"{TEXT}note"):
            body = note.find(f"{TEXT}note-body")
            if body is not None:
                inner = OdfWalker(self.budget, self.list_styles)
                inner.walk(body)
                self.add("footnote", "\n".join(element.text for element in inner.elements))
        for frame in _own(node, f"{DRAW}frame"):  # text boxes anchored in the paragraph
            self.walk(frame, 1)

    def _list(self, node: etree._Element, level: int, style: str, depth: int) -> None:
        style = node.get(f"{TEXT}style-name", style)
        ordered = level + 1 in self.list_styles.get(style, set())
        for item in node.iterchildren(f"{TEXT}list-item", f"{TEXT}list-header"):
            for child in item.iterchildren(tag=etree.Element):
                if child.tag in (f"{TEXT}p", f"{TEXT}h"):
                    self._paragraph(child, "list_item", min(level, 8), ordered)
                elif child.tag == f"{TEXT}list" and depth < _MAX_DEPTH:
                    self._list(child, level + 1, style, depth + 1)
                else:
                    self._node(child, depth + 1)

    def table(self, node: etree._Element) -> None:
        rows = table_rows(node, self.budget, self._cell_text)
        if not rows:
            return
        if not self.extract_tables:
            for row in rows:
                self.add("paragraph", "\t".join(cell for cell in row if cell))
            return
        table = Table(rows, page=self.page)
        self.tables.append(table)
        index = len(self.tables) - 1
        self.elements.append(Element("table", table_text(table), page=self.page, table_index=index))

    def _cell_text(self, cell: etree._Element) -> str:
        inner = OdfWalker(self.budget, self.list_styles)
        inner.walk(cell)
        return "\n".join(element.text for element in inner.elements)


def _own(paragraph: etree._Element, tag: str) -> list[etree._Element]:
    """Descendants with ``tag`` that belong to this paragraph, not to a frame or paragraph nested in it."""
    owners = (f"{TEXT}p", f"{TEXT}h", f"{DRAW}frame")
    return [node for node in paragraph.iter(tag) if next(node.iterancestors(*owners), None) is paragraph]


def table_rows(node: etree._Element, budget: CellBudget, cell_text) -> list[list[str]]:
    """Rows with content, trimmed to the used columns and padded to one width; fully empty rows left out."""
    rows: list[list[str]] = []
    for row in _rows(node):
        cells: list[str] = []
        pending = 0  # empty cells seen but not yet needed
        for cell in row.iterchildren(f"{TABLE}table-cell", f"{TABLE}covered-table-cell"):
            repeat = _repeat(cell, f"{TABLE}number-columns-repeated")
            text = cell_text(cell) if len(cell) else ""
            if not text:
                pending += repeat
                continue
            budget.spend(pending + repeat)
            cells.extend([""] * pending + [text] * repeat)
            pending = 0
        if cells:
            repeat = _repeat(row, f"{TABLE}number-rows-repeated")
            budget.spend(len(cells) * repeat)
            rows.extend(list(cells) for _ in range(repeat))
    return used_range(rows)


def _rows(node: etree._Element) -> list[etree._Element]:
    rows = []
    for child in node.iterchildren(tag=etree.Element):
        if child.tag == f"{TABLE}table-row":
            rows.append(child)
        elif child.tag in _ROW_GROUPS:
            rows.extend(_rows(child))
    return rows


def _repeat(node: etree._Element, attribute: str) -> int:
    try:
        return max(int(node.get(attribute, "1")), 1)
    except ValueError:
        return 1


def _outline_level(node: etree._Element) -> int:
    try:
        return min(max(int(node.get(f"{TEXT}outline-level", "1")), 1), 6)
    except ValueError:
        return 1


def paragraph_text(node: etree._Element) -> str:
    parts: list[str] = []
    _collect(node, parts)
    return "".join(parts)


def _collect(node: etree._Element, parts: list[str]) -> None:
    if node.text:
        parts.append(node.text)
    for child in node.iterchildren():
        tag = child.tag
        if tag == f"{TEXT}s":
            parts.append(" " * min(_repeat(child, f"{TEXT}c"), 100))
        elif tag == f"{TEXT}tab":
            parts.append("\t")
        elif tag == f"{TEXT}line-break":
            parts.append("\n")
        elif isinstance(tag, str) and tag not in _SKIP_INLINE and tag != f"{DRAW}frame":
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)


def list_styles(*roots: etree._Element | None) -> dict[str, set[int]]:
    """For every list style in the given style containers: the levels that are numbered."""
    styles: dict[str, set[int]] = {}
    for root in roots:
        if root is None:
            continue
        for style in root.iter(f"{TEXT}list-style"):
            numbered = set()
            for level in style.iterchildren(f"{TEXT}list-level-style-number"):
                try:
                    numbered.add(int(level.get(f"{TEXT}level", "1")))
                except ValueError:
                    continue
            styles[style.get(f"{STYLE}name", "")] = numbered
    return styles
