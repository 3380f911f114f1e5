"""Walk an HTML tree in document order and turn it into elements and tables.

Inline content accumulates in a buffer; a block boundary (p, div, li, heading ...) flushes the buffer as one element
whose type comes from the innermost enclosing block context (paragraph, list item, heading, quote, caption).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from webapp.pipeline.document import Element, Table
from webapp.pipeline.parsers.html_tables import (
    MAX_TABLE_NESTING,
    CellBudget,
    Row,
    build_grid,
    flatten,
    is_layout_table,
    local_name,
    table_rows,
    tidy,
)
from webapp.pipeline.render import table_text

# Never content: code, styling, embedded objects, form controls.
_DROP = {
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe", "object", "embed",
    "svg", "math", "canvas", "video", "audio", "map", "select", "option", "button", "input", "textarea", "dialog",
}  # fmt: skip
# Page chrome around the content; header/footer only count as chrome outside an article or main element.
# A navigation landmark that holds a table is kept: menus are lists, while a table of links grouped under row
# headers (Wikipedia's navboxes, authority control) is content the page tabulated, and ground truths keep it.
_CHROME = {"nav", "aside"}
_SECTION_CHROME = {"header", "footer"}
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "toolbar"}
_BLOCKS = {
    "p", "div", "section", "article", "main", "body", "html", "center", "address", "details", "summary",
    "fieldset", "legend", "form", "dl", "dt", "dd", "figure", "hr", "header", "footer", "hgroup", "frameset",
    "tr", "thead", "tbody", "tfoot",  # reached only in layout tables: a row is a line (its cells see _node)
}  # fmt: skip
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LISTS = {"ul": False, "ol": True, "menu": False, "dir": False}
_LINE_BREAK = "\u2028"  # marks <br> in the buffer so it survives whitespace collapsing
# Each level costs about three Python frames; below this depth the text is taken flat, without structure.
_MAX_DEPTH = 200


@dataclass(frozen=True, slots=True)
class _Context:
    type: str
    level: int | None = None
    ordered: bool = False


class HtmlWalker:
    """One walker per document; each table cell is walked by a child walker that shares the tables and budget."""

    def __init__(self, tables: bool = True, *, parent: HtmlWalker | None = None) -> None:
        self.extract_tables = tables
        self.elements: list[Element] = []
        self.tables: list[Table] = parent.tables if parent else []
        self.budget: CellBudget = parent.budget if parent else CellBudget()
        self._table_nesting = parent._table_nesting + 1 if parent else 0
        self._own_tables: set[int] = set()  # indices of the tables this walker made, not those nested in them
        self._buffer: list[str] = []
        self._contexts: list[_Context] = [_Context("paragraph")]
        self._lists: list[bool] = []
        self._in_content = 0  # inside <article> or <main>

    def walk_block(self, node: etree._Element) -> None:
        self._children(node, 0)
        self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        lines = (" ".join(line.split()) for line in "".join(self._buffer).split(_LINE_BREAK))
        text = "\n".join(line for line in lines if line)
        self._buffer.clear()
        if text:
            context = self._contexts[-1]
            self.elements.append(Element(context.type, text, level=context.level, ordered=context.ordered))

    def _children(self, node: etree._Element, depth: int) -> None:
        if node.text:
            self._buffer.append(node.text)
        for child in node:
            self._node(child, depth + 1)
            if child.tail:
                self._buffer.append(child.tail)

    def _node(self, node: etree._Element, depth: int) -> None:
        name = local_name(node)
        if not name or name in _DROP or self._is_chrome(node, name) or _is_hidden(node):
            return
        if depth > _MAX_DEPTH:
            self._buffer.append(" ".join(node.itertext()))
        elif name in _HEADINGS:
            self._in_context(node, depth, _Context("heading", _HEADINGS[name]))
        elif name in _LISTS:
            self._list(node, depth, _LISTS[name])
        elif name == "li":
            ordered = self._lists[-1] if self._lists else False
            self._in_context(node, depth, _Context("list_item", max(len(self._lists) - 1, 0), ordered))
        elif name == "table":
            self._table(node, depth)
        elif name == "pre":
            self._pre(node)
        elif name == "blockquote":
            self._in_context(node, depth, _Context("quote"))
        elif name in ("figcaption", "caption"):
            self._in_context(node, depth, _Context("caption"))
        elif name in ("article", "main"):
            self._in_content += 1
            self._block(node, depth)
            self._in_content -= 1
        elif name in _BLOCKS:
            self._block(node, depth)
        elif name == "br":
            self._buffer.append(_LINE_BREAK)
        elif name in ("td", "th"):
            # Layout table cells run on in their row ("•" then the item's text), apart, never glued together.
            self._buffer.append(" ")
            self._children(node, depth)
            self._buffer.append(" ")
        elif name == "img" and self._table_nesting and node.get("alt"):
            # In a table cell an image is often the whole content (a thumbnail, a flag): its alt text says it.
            self._buffer.append(f" {node.get('alt')} ")
        else:
            self._children(node, depth)  # inline: a, span, b, em, code, sup ...

    def _block(self, node: etree._Element, depth: int) -> None:
        self.flush()
        self._children(node, depth)
        self.flush()

    def _in_context(self, node: etree._Element, depth: int, context: _Context) -> None:
        self.flush()
        self._contexts.append(context)
        self._children(node, depth)
        self.flush()
        self._contexts.pop()

    def _list(self, node: etree._Element, depth: int, ordered: bool) -> None:
        self.flush()
        self._lists.append(ordered)
        # Stray text directly inside <ul> belongs to no item; it comes out as a paragraph.
        self._contexts.append(_Context("paragraph"))
        self._children(node, depth)
        self.flush()
        self._contexts.pop()
        self._lists.pop()

    def _pre(self, node: etree._Element) -> None:
        self.flush()
        text = "".join(node.itertext()).strip("\n")
        if text.strip():
            self.elements.append(Element("code", text))

    def _table(self, node: etree._Element, depth: int) -> None:
        self.flush()
        rows = table_rows(node)
        too_deep = self._table_nesting >= MAX_TABLE_NESTING
        if not self.extract_tables or too_deep or is_layout_table(node, rows):
            if too_deep and self.extract_tables:
                self.budget.flattened_tables += 1
            self._block(node, depth)  # a line per row: a layout table, or tables not wanted
            return
        for child in node:
            if local_name(child) == "caption":
                self._in_context(child, depth + 1, _Context("caption"))
        # The table takes its slot before the tables nested in its cells, so indices follow reading order.
        index = len(self.tables)
        table = Table([])
        self.tables.append(table)
        element = Element("table", "", table_index=index)
        self.elements.append(element)
        nested: list[Element] = []
        grid = build_grid(rows, lambda cell: self._cell_text(cell, depth, nested), self.budget)
        table.rows, table.header_rows = tidy(grid)
        if table.rows:
            element.text = table_text(table)
            self._own_tables.add(index)
            self.elements.extend(nested)
        else:  # no text in any cell, so no table nested in one either: give the slot back
            self.tables.pop()
            self.elements.pop()
        if grid.cut_at is not None:
            self._rows_as_text(rows[grid.cut_at :], depth)

    def _rows_as_text(self, rows: list[Row], depth: int) -> None:
        """Rows past the cell budget: a paragraph per row, cells separated by tabs (not one element per cell)."""
        for row in rows:
            nested: list[Element] = []
            cells = (self._cell_text(cell, depth, nested).replace("\n", " ") for cell in row.cells)
            line = "\t".join(cell for cell in cells if cell)
            if line:
                self.elements.append(Element("paragraph", line))
            self.elements.extend(nested)

    def _cell_text(self, cell: etree._Element, depth: int, nested: list[Element]) -> str:
        """The cell's text. A table in the cell becomes a table of its own, placed after this one, and its text
        stays in the cell too, flattened (a line per row), so the outer table reads whole without it."""
        if not len(cell):
            return " ".join((cell.text or "").split())  # text only, the common case: no walker needed
        inner = HtmlWalker(self.extract_tables, parent=self)
        inner._in_content = self._in_content
        inner._children(cell, depth + 1)
        inner.flush()
        parts = []
        numbers: dict[int, int] = {}  # list level -> number of the last ordered item
        for element in inner.elements:
            if element.type == "list_item":
                parts.append(_numbered(element, numbers))
                continue
            numbers.clear()
            if element.type != "table" or element.table_index is None:
                parts.append(element.text)
                continue
            nested.append(element)
            if element.table_index in inner._own_tables:  # tables nested deeper are already in its text
                parts.append(flatten(self.tables[element.table_index].rows))
        return "\n".join(part for part in parts if part)

    def _is_chrome(self, node: etree._Element, name: str) -> bool:
        role = (node.get("role") or "").lower()
        if (name == "nav" or role == "navigation") and next(node.iter("{*}table"), None) is not None:
            return False
        if name in _CHROME or (name in _SECTION_CHROME and not self._in_content):
            return True
        return role in _CHROME_ROLES


def _is_hidden(node: etree._Element) -> bool:
    if node.get("hidden") is not None or (node.get("aria-hidden") or "").lower() == "true":
        return True
    style = node.get("style")
    return bool(style) and "display:none" in style.replace(" ", "").lower()


def _numbered(item: Element, numbers: dict[int, int]) -> str:
    """A list item as a cell line: ordered items keep their number, which a cell has no other way to show."""
    level = item.level or 0
    for deeper in [key for key in numbers if key > level]:
        del numbers[deeper]
    if not item.ordered:
        return item.text
    numbers[level] = numbers.get(level, 0) + 1
    return f"{numbers[level]}. {item.text}"
