"""Reading a PDF's pages into the document model: positioned words through layout analysis, or plain text blocks.

With ``parse.layout`` on (the default) each page's words and ruling lines go to ``layout.DocumentLayout`` as the
page is read, and pages read with OCR join it when Tesseract is done. Layout analysis is bounded: a page whose
analysis fails, and every page once the analysis has used ``LAYOUT_BUDGET_SHARE`` of the parse time limit, is
given as plain text blocks without boxes, with a ``layout_failed`` warning; the job still succeeds with the text.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import pypdfium2 as pdfium

from webapp.pipeline.document import Element, Page, ParsedDocument
from webapp.pipeline.layout.analyse import DocumentLayout
from webapp.pipeline.layout.model import PageInput, Rule
from webapp.pipeline.ocr import OcrPage, OcrResult, OcrStats
from webapp.pipeline.ocr_rules import displayed_bbox, find_rules
from webapp.pipeline.ocr_words import ocr_page_input
from webapp.pipeline.pagerange import page_list
from webapp.pipeline.parsers.pdf_text import clean_page_text, ocr_blocks, page_blocks
from webapp.pipeline.parsers.pdf_words import page_input

log = logging.getLogger(__name__)

# Fewer visible characters than this and a page counts as having no text layer.
EMPTY_PAGE_CHARS = 10
# Layout analysis may take this share of the parse stage's time limit; the remaining pages are read as text.
LAYOUT_BUDGET_SHARE = 0.4
DEFAULT_TIMEOUT_SECONDS = 300


class PageReader:
    """Reads the selected pages one at a time and assembles the document's elements, tables and pages."""

    def __init__(self, pdf: pdfium.PdfDocument, options: dict[str, Any]) -> None:
        self.pdf = pdf
        self.layout = DocumentLayout(tables=options.get("tables", True)) if options.get("layout", True) else None
        self.budget = LAYOUT_BUDGET_SHARE * float(options.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)
        self.spent = 0.0
        # Per page index: visible characters read (text layer, then OCR).
        self.chars: dict[int, int] = {}
        self.unreadable: list[int] = []
        self.layout_failed: list[int] = []
        self.out_of_time_from: int | None = None
        self.sizes: dict[int, Page] = {}
        # Layout off: each page's elements.
        self.plain: dict[int, list[Element]] = {}
        # Pages OCR read turned (a scan lying sideways): laid out upright, their boxes turned back at the end.
        self.turned: dict[int, PageInput] = {}

    def read(self, index: int) -> None:
        number = index + 1
        try:
            page = self.pdf[index]
        except pdfium.PdfiumError:
            self._unreadable(index)
            return
        try:
            self.sizes[index] = _page_model(page, number)
            textpage = page.get_textpage()
            try:
                self._read(page, textpage, index)
            finally:
                textpage.close()
        except pdfium.PdfiumError:
            self._unreadable(index)
        finally:
            page.close()

    def _read(self, page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, index: int) -> None:
        number = index + 1
        if self.layout is not None and self._has_time(number):
            started = time.perf_counter()
            try:
                words = page_input(page, textpage, number)
                self.chars[index] = sum(len(word.text) for word in words.words)
                self.layout.add_page(words)
                return
            except pdfium.PdfiumError:
                raise
            except Exception:  # layout is a bonus: the page's text must still come out
                log.exception("layout analysis failed on page %d", number)
                self.layout_failed.append(number)
            finally:
                self.spent += time.perf_counter() - started
        text = clean_page_text(textpage.get_text_range())
        self.chars[index] = sum(map(len, text.split()))  # visible characters, at C speed
        self._plain(index, [Element(kind, block, page=number) for kind, block in page_blocks(text)])

    def _has_time(self, number: int) -> bool:
        if self.spent <= self.budget:
            return True
        if self.out_of_time_from is None:
            self.out_of_time_from = number
        return False

    def _plain(self, index: int, elements: list[Element]) -> None:
        if self.layout is not None:
            self.layout.add_plain_page(self.sizes[index], elements)
        else:
            self.plain[index] = elements

    def _unreadable(self, index: int) -> None:
        self.unreadable.append(index + 1)
        self.chars[index] = 0

    def ocr_key(self, index: int, image: Any, dpi: int) -> tuple[int, int, list[Rule]]:
        """What the OCR result needs besides the words: the page, the dpi and the ruling lines of the image."""
        rules = find_rules(image, dpi) if self.layout is not None else []
        return index, dpi, rules

    def use_ocr(self, done: tuple[Any, OcrResult], stats: OcrStats) -> None:
        (index, dpi, rules), result = done
        if not isinstance(result, OcrPage):
            stats.fail(index + 1, result)
            return
        stats.add(result)
        blocks = ocr_blocks(result.paragraphs)
        visible = sum(len(word) for _, text in blocks for word in text.split())
        if visible == 0 and self.chars.get(index, 0) >= EMPTY_PAGE_CHARS:
            return  # parse.ocr = always on a page OCR could not read: keep its text layer
        self.chars[index] = visible
        number = index + 1
        if self.layout is not None:
            size = self.sizes[index]
            try:
                words = ocr_page_input(result, number, size.width, size.height, dpi, None, rules=rules)
                self.layout.add_page(words)
                if words.rotation:
                    self.turned[number] = words
                return
            except Exception:
                log.exception("layout analysis failed on OCR page %d", number)
                self.layout_failed.append(number)
        self._plain(index, [Element(kind, text, page=number) for kind, text in blocks])

    def finish(self, document: ParsedDocument) -> None:
        if self.layout is not None:
            analysis = self.layout.finish()
            document.elements, document.tables, document.pages = analysis.elements, analysis.tables, analysis.pages
            document.warnings.extend(analysis.warnings)
            if self.turned:
                self._turn_back(document)
            self._warn_layout(document)
            return
        for position, index in enumerate(sorted(self.plain)):
            if position:
                document.elements.append(Element("page_break", "", page=index + 1))
            document.elements.extend(self.plain[index])
        document.pages = [self.sizes[index] for index in sorted(self.sizes)]

    def _turn_back(self, document: ParsedDocument) -> None:
        """Boxes of pages laid out upright, put on the page as displayed; the page keeps its displayed size."""
        for item in [*document.elements, *document.tables]:
            page = self.turned.get(item.page or 0)
            if page is not None and item.bbox is not None:
                item.bbox = displayed_bbox(item.bbox, page.rotation, page.width, page.height)
        document.pages = [
            replace(self.sizes[page.number - 1], source="ocr") if page.number in self.turned else page
            for page in document.pages
        ]

    def _warn_layout(self, document: ParsedDocument) -> None:
        if self.layout_failed:
            pages = page_list(sorted(self.layout_failed))
            document.warnings.append(
                f"layout_failed: layout analysis failed on {len(self.layout_failed)} pages ({pages}); "
                "their text is given without headings, tables or boxes"
            )
        if self.out_of_time_from is not None:
            document.warnings.append(
                f"layout_failed: layout analysis ran out of time at page {self.out_of_time_from}; "
                "that page and the ones after it are given as plain text"
            )


def _page_model(page: pdfium.PdfPage, number: int) -> Page:
    width, height = page.get_size()  # as displayed: PDFium applies /Rotate
    return Page(number, width, height, page.get_rotation())
