"""Positioned words and rules for layout analysis: pages/s of ``pdf_words.page_input`` beside raw PDFium.

    .venv/bin/python bench/pdf_words.py [--corpus PATH] [--repeat N] [--alternatives] [--slowest N]

Every text PDF of the corpus (pdf_*, not pdf_scan_*; the bad_* files are left out by the name), one process (one
core), best of N alternating runs. Each pass opens every document and, per page, loads the page and its text page,
then does its work and closes both, so the rates compare whole per-page costs:

- raw: ``get_text_range`` (the PDF parser's floor);
- words: ``page_input(rules=False)``;
- words+rules: ``page_input``.

``--alternatives`` also times, over the same pages, boxes alone three ways (a loose box for every character; per word
``FPDFText_CountRects``/``GetRect``; per word the first and last characters' loose boxes, the design taken, here
through pypdfium2's own bindings), and a walk over the page's text objects. ``--slowest`` lists the pages where
words+rules cost most beyond the raw text.
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pypdfium2 as pdfium  # noqa: E402
import pypdfium2.raw as pdfium_c  # noqa: E402

from bench.extraction import each_page  # noqa: E402
from webapp.pipeline.parsers.pdf_words import page_input  # noqa: E402

Work = Callable[[pdfium.PdfPage, pdfium.PdfTextPage], object]


def text_pdfs(corpus: Path) -> list[Path]:
    return sorted(path for path in corpus.glob("pdf_*.pdf") if not path.name.startswith("pdf_scan_"))


def raw(_page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> object:
    return textpage.get_text_range()


def words(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> object:
    return page_input(page, textpage, 1, rules=False)


def words_rules(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> object:
    return page_input(page, textpage, 1)


def _word_spans(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for token in text.split():
        start = text.index(token, position)
        position = start + len(token)
        spans.append((start, position))
    return spans


def every_char_box(_page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> object:
    """Boxes only, the per-character design: a loose box for every character (then unioned per word)."""
    text = textpage.get_text_range()
    rect = pdfium_c.FS_RECTF()
    for index in range(textpage.count_chars()):
        pdfium_c.FPDFText_GetLooseCharBox(textpage, index, rect)
    return _word_spans(text)


def word_rects(_page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> object:
    """Boxes only, per word from CountRects/GetRect (PDFium unions a run's character boxes)."""
    text = textpage.get_text_range()
    left, top, right, bottom = (ctypes.c_double() for _ in range(4))
    for start, end in _word_spans(text):
        for rect in range(pdfium_c.FPDFText_CountRects(textpage, start, end - start)):
            pdfium_c.FPDFText_GetRect(textpage, rect, left, top, right, bottom)
    return text


def word_ends(_page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> object:
    """Boxes only, the design taken: loose boxes of each word's first and last character."""
    text = textpage.get_text_range()
    rect = pdfium_c.FS_RECTF()
    for start, end in _word_spans(text):
        pdfium_c.FPDFText_GetLooseCharBox(textpage, start, rect)
        pdfium_c.FPDFText_GetLooseCharBox(textpage, end - 1, rect)
    return text


def text_objects(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> object:
    """Page objects instead of the text page: each text object's text, bounds and font (a line or a word each,
    so no word boxes inside a line, and none of the text page's spaces and line breaks)."""
    buffer = (ctypes.c_ushort * 4096)()
    bounds = [ctypes.c_float() for _ in range(4)]
    for index in range(pdfium_c.FPDFPage_CountObjects(page)):
        obj = pdfium_c.FPDFPage_GetObject(page, index)
        if pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_TEXT:
            pdfium_c.FPDFTextObj_GetText(obj, textpage, buffer, 8192)
            pdfium_c.FPDFPageObj_GetBounds(obj, *bounds)
            pdfium_c.FPDFTextObj_GetFont(obj)
    return buffer


def best_rates(files: list[Path], works: dict[str, Work], repeat: int) -> dict[str, float]:
    each_page(files, raw)  # warm the page cache so no pass pays for disk reads
    best: dict[str, tuple[float, int]] = {}
    for _ in range(repeat):
        for name, work in works.items():
            started = time.perf_counter()
            pages = each_page(files, work)
            elapsed = time.perf_counter() - started
            if name not in best or elapsed < best[name][0]:
                best[name] = (elapsed, pages)
    return {name: pages / elapsed for name, (elapsed, pages) in best.items()}


def slowest(files: list[Path], count: int) -> list[tuple[float, float, str, int, int]]:
    """(ms of words+rules, ms of raw text, file, page, words) for the costliest pages."""
    rows = []
    for path in files:
        pdf = pdfium.PdfDocument(path)
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            started = time.perf_counter()
            textpage.get_text_range()
            middle = time.perf_counter()
            result = page_input(page, textpage, index + 1)
            ended = time.perf_counter()
            rows.append(((ended - middle) * 1000, (middle - started) * 1000, path.name, index + 1, len(result.words)))
            textpage.close()
            page.close()
        pdf.close()
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--alternatives", action="store_true")
    parser.add_argument("--slowest", type=int, default=0)
    args = parser.parse_args()
    files = text_pdfs(args.corpus)
    works: dict[str, Work] = {"raw": raw, "words": words, "words+rules": words_rules}
    if args.alternatives:
        works.update(
            {
                "boxes: every char": every_char_box,
                "boxes: CountRects/word": word_rects,
                "boxes: 2 loose/word": word_ends,
                "text objects walk": text_objects,
            }
        )
    pages = each_page(files, raw)
    print(f"{len(files)} text PDFs, {pages} pages, best of {args.repeat}, one process")
    rates = best_rates(files, works, args.repeat)
    for name, rate in rates.items():
        extra = 1000 / rate - 1000 / rates["raw"]
        print(f"  {name:<22} {rate:7.1f} pages/s   {1000 / rate:6.2f} ms/page   (+{extra:5.2f} ms over raw)")
    for ms, raw_ms, name, number, count in slowest(files, args.slowest):
        print(f"  {ms:6.2f} ms (raw text {raw_ms:5.2f} ms)  {name} p{number}  {count} words")


if __name__ == "__main__":
    main()
