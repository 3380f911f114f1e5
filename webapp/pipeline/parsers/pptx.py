"""PPTX and PPTM with python-pptx: slide by slide, shapes in the slide's own order, groups recursed.

Per slide: the title placeholder first, as a level-1 heading; then text frames as paragraphs or list items (body
placeholders are bulleted unless a paragraph says ``buNone``; text boxes only where a paragraph asks for bullets;
``buAutoNum`` means ordered), tables and chart data as tables, date/footer/slide-number placeholders as ``footer``.
Speaker notes and review comments come last, as ``footnote`` elements ("Comment (Author): text" for comments), so
they are searchable yet easy to leave out by type. Every element's ``page`` is its slide number; a ``page_break``
separates slides. Pictures carry no text and are skipped.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from typing import Any

import pptx
from lxml import etree
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.exc import PackageNotFoundError
from pptx.shapes.group import GroupShape

from webapp.pipeline.base import Parser
from webapp.pipeline.detect import PPTM, PPTX
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source, Table
from webapp.pipeline.errors import CorruptFileError
from webapp.pipeline.parsers.archive import check_archive
from webapp.pipeline.parsers.officemeta import core_properties
from webapp.pipeline.parsers.pptx_parts import chart_table, diagram_texts, slide_comments
from webapp.pipeline.render import table_text

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_TITLES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE}
_FOOTERS = {PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER, PP_PLACEHOLDER.HEADER}
_BULLETED = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT, PP_PLACEHOLDER.VERTICAL_BODY, PP_PLACEHOLDER.VERTICAL_OBJECT}
_OPEN_ERRORS = (
    PackageNotFoundError,
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    zipfile.BadZipFile,
    etree.XMLSyntaxError,
)


class PptxParser(Parser):
    name = "pptx"
    mime_types = {PPTX: 100, PPTM: 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        check_archive(source.path)
        try:
            presentation = pptx.Presentation(str(source.path))
            slides = list(presentation.slides)
        except _OPEN_ERRORS as exc:
            raise CorruptFileError(f"the presentation cannot be opened: {exc}") from None
        document = ParsedDocument(metadata=core_properties(source.path))
        walker = _SlideWalker(document, tables=options.get("tables", True))
        hidden = []
        for number, slide in enumerate(slides, start=1):
            if number > 1:
                document.elements.append(Element("page_break", "", page=number))
            try:
                walker.slide(slide, number)
            except _OPEN_ERRORS as exc:
                raise CorruptFileError(f"slide {number} cannot be read: {exc}") from None
            if slide.element.get("show") in ("0", "false"):
                hidden.append(number)
        document.metadata["slide_count"] = len(slides)
        if hidden:
            document.metadata["hidden_slides"] = hidden
        document.signals.update(slides=len(slides), tables=len(document.tables))
        return document


class _SlideWalker:
    def __init__(self, document: ParsedDocument, tables: bool) -> None:
        self.document = document
        self.extract_tables = tables
        self.page = 0

    def slide(self, slide: Any, number: int) -> None:
        self.page = number
        title = slide.shapes.title
        if title is not None:
            self._add("heading", _frame_text(title.text_frame), level=1)
        self._shapes(shape for shape in slide.shapes if title is None or shape.shape_id != title.shape_id)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            self._add("footnote", _frame_text(slide.notes_slide.notes_text_frame))
        for author, text in slide_comments(slide.part):
            self._add("footnote", f"Comment ({author}): {text}" if author else f"Comment: {text}")

    def _shapes(self, shapes: Iterable[Any]) -> None:
        for shape in shapes:
            if isinstance(shape, GroupShape):
                self._shapes(shape.shapes)
            elif getattr(shape, "has_table", False):
                self._table(_table_rows(shape.table))
            elif getattr(shape, "has_chart", False):
                self._chart(shape)
            elif shape.has_text_frame:
                self._text_frame(shape)
            else:
                for text in diagram_texts(shape):  # SmartArt: its text lives in a diagram data part
                    self._add("paragraph", text)

    def _text_frame(self, shape: Any) -> None:
        kind = shape.placeholder_format.type if shape.is_placeholder else None
        if kind in _TITLES:
            self._add("heading", _frame_text(shape.text_frame), level=2)
            return
        if kind in _FOOTERS:
            self._add("footer", _frame_text(shape.text_frame))
            return
        bulleted = kind in _BULLETED
        for paragraph in shape.text_frame.paragraphs:
            text = _paragraph_text(paragraph)
            bullet = _bullet(paragraph)
            if bullet in ("ordered", "bullet") or (bulleted and bullet is None):
                self._add("list_item", text, level=paragraph.level, ordered=bullet == "ordered")
            else:
                self._add("paragraph", text)

    def _table(self, rows: list[list[str]]) -> None:
        rows = [row for row in rows if any(cell for cell in row)]
        if not rows:
            return
        if not self.extract_tables:
            for row in rows:
                self._add("paragraph", "\t".join(cell for cell in row if cell))
            return
        table = Table(rows, page=self.page)
        self.document.tables.append(table)
        index = len(self.document.tables) - 1
        self.document.elements.append(Element("table", table_text(table), page=self.page, table_index=index))

    def _chart(self, shape: Any) -> None:
        try:
            title, rows = chart_table(shape.chart_part.blob)
        except (etree.XMLSyntaxError, KeyError, ValueError, AttributeError) as exc:
            self.document.warnings.append(f"a chart on slide {self.page} could not be read: {exc}")
            return
        self._add("caption", title)
        self._table(rows)

    def _add(self, kind: str, text: str, level: int | None = None, ordered: bool = False) -> None:
        text = text.strip()
        if text:
            self.document.elements.append(Element(kind, text, page=self.page, level=level, ordered=ordered))


def _table_rows(table: Any) -> list[list[str]]:
    # Cells a merge covers are empty, so columns stay aligned.
    return [[_frame_text(cell.text_frame) if not cell.is_spanned else "" for cell in row.cells] for row in table.rows]


def _frame_text(frame: Any) -> str:
    lines = (_paragraph_text(paragraph) for paragraph in frame.paragraphs)
    return "\n".join(line for line in lines if line)


def _paragraph_text(paragraph: Any) -> str:
    # python-pptx gives a line break (a:br) as a vertical tab.
    return paragraph.text.replace("\v", "\n").strip()


def _bullet(paragraph: Any) -> str | None:
    """ "ordered", "bullet", "none" when the paragraph's own properties say so; None when it inherits."""
    properties = paragraph._p.pPr
    if properties is None:
        return None
    for child in properties:
        if child.tag == f"{A}buAutoNum":
            return "ordered"
        if child.tag in (f"{A}buChar", f"{A}buBlip"):
            return "bullet"
        if child.tag == f"{A}buNone":
            return "none"
    return None
