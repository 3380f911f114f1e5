"""Walk an HTML tree in document order and turn it into elements and tables.

Inline content accumulates in a buffer; a block boundary (p, div, li, heading ...) flushes the buffer as one element
whose type comes from the innermost enclosing block context (paragraph, list item, heading, quote, caption).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from webapp.pipeline.document import Element, Table
from webapp.pipeline.render import table_text

# Never content: code, styling, embedded objects, form controls.
_DROP = {
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe", "object", "embed",
    "svg", "math", "canvas", "video", "audio", "map", "select", "option", "button", "input", "textarea", "dialog",
}  # fmt: skip
# Page chrome around the content; header/footer only count as chrome outside an article or main element.
_CHROME = {"nav", "aside"}
_SECTION_CHROME = {"header", "footer"}
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar", "toolbar"}
_BLOCKS = {
    "p", "div", "section", "article", "main", "body", "html", "center", "address", "details", "summary",
    "fieldset", "legend", "form", "dl", "dt", "dd", "figure", "hr", "header", "footer", "hgroup", "tbody", "frameset",
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


def local_name(node: etree._Element) -> str:
    tag = node.tag
    if not isinstance(tag, str):
        return ""  # comment or processing instruction
    return tag.rsplit("}", 1)[-1].lower()


class HtmlWalker:
    def __init__(self, tables: bool = True) -> None:
        self.extract_tables = tables
        self.elements: list[Element] = []
        self.tables: list[Table] = []
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
        rows = _own_rows(node)
        if not self.extract_tables or all(
            sum(1 for cell in row if local_name(cell) in ("td", "th")) <= 1 for row in rows
        ):
            self._block(node, depth)  # a layout table (one column of content) or tables not wanted
            return
        for child in node:
            if local_name(child) == "caption":
                self._in_context(child, depth + 1, _Context("caption"))
        grid = _grid(rows, lambda cell: self._cell_text(cell, depth))
        grid = [row for row in grid if any(row)]
        if grid:
            table = Table(grid)
            self.tables.append(table)
            self.elements.append(Element("table", table_text(table), table_index=len(self.tables) - 1))

    def _cell_text(self, cell: etree._Element, depth: int) -> str:
        inner = HtmlWalker()
        inner._in_content = self._in_content
        inner._children(cell, depth + 1)
        inner.flush()
        return "\n".join(element.text for element in inner.elements)

    def _is_chrome(self, node: etree._Element, name: str) -> bool:
        if name in _CHROME or (name in _SECTION_CHROME and not self._in_content):
            return True
        return (node.get("role") or "").lower() in _CHROME_ROLES


def _is_hidden(node: etree._Element) -> bool:
    if node.get("hidden") is not None or (node.get("aria-hidden") or "").lower() == "true":
        return True
    style = node.get("style")
    return bool(style) and "display:none" in style.replace(" ", "").lower()


def _is_layout(rows: list[etree._Element]) -> bool:
    """One cell per row: the table lays content out in a column; it holds no data."""
    return all(sum(1 for cell in row if local_name(cell) in ("td", "th")) <= 1 for row in rows)


def _own_rows(table: etree._Element) -> list[etree._Element]:
    rows: list[etree._Element] = []
    for child in table:
        name = local_name(child)
        if name == "tr":
            rows.append(child)
        elif name in ("thead", "tbody", "tfoot"):
            rows.extend(row for row in child if local_name(row) == "tr")
    return rows


def _grid(rows: list[etree._Element], cell_text: Callable[[etree._Element], str]) -> list[list[str]]:
    """Cell texts on a grid: positions covered by a colspan or rowspan stay empty so columns stay aligned."""
    grid: list[list[str]] = []
    carried: dict[int, int] = {}  # column -> further rows a rowspan from above still covers
    for row in rows:
        covered, started = carried, {}
        cells: list[str] = []
        for cell in row:
            if local_name(cell) not in ("td", "th"):
                continue
            while len(cells) in covered:
                cells.append("")
            colspan, rowspan = _span(cell.get("colspan")), _span(cell.get("rowspan"))
            if rowspan > 1:
                started.update((column, rowspan - 1) for column in range(len(cells), len(cells) + colspan))
            cells.append(cell_text(cell))
            cells.extend([""] * (colspan - 1))
        end = max(covered, default=-1) + 1
        cells.extend([""] * (end - len(cells)))
        grid.append(cells)
        carried = {column: left - 1 for column, left in covered.items() if left > 1}
        carried.update(started)
    return grid


def _span(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), 1000)
    except ValueError:
        return 1
