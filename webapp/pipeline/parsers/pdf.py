"""PDF text layer extraction with PDFium (pypdfium2), page by page; pages without a text layer are read with OCR.

``parse.ocr``: "auto" reads only pages with (almost) no text layer, so born-digital pages never pay for OCR;
"always" reads every page and prefers what OCR found; "never" reads none. Pages are rendered at 300 dpi in gray
(capped at 40 megapixels for oversized pages) while earlier pages are being recognised (see ``OcrPool``).
"""

from __future__ import annotations

import math
import re
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError
from webapp.pipeline.ocr import (
    DEFAULT_MAX_PAGES,
    MAX_OCR_PIXELS,
    OCR_DPI,
    OcrPool,
    OcrResult,
    OcrStats,
    OcrUnavailableError,
    is_blank,
    resolve_languages,
    unavailable_warning,
)
from webapp.pipeline.parsers.pdf_text import clean_page_text, ocr_blocks, page_blocks

# PDFium keeps global state and is not thread-safe; one document at a time per process.
_PDFIUM_LOCK = threading.Lock()
# Fewer visible characters than this and a page counts as having no text layer.
EMPTY_PAGE_CHARS = 10
_METADATA_KEYS = {"Title": "title", "Author": "author", "Subject": "subject", "Keywords": "keywords"}
_METADATA_KEYS.update({"Creator": "creator", "Producer": "producer"})
_PDF_DATE = re.compile(
    r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:([Zz])|([+\-])(\d{2})'?(\d{2})?'?)?"
)


class PdfParser(Parser):
    name = "pdf"
    mime_types = {"application/pdf": 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        with _PDFIUM_LOCK:
            pdf = _open(source)
            try:
                return _extract(pdf, options)
            finally:
                pdf.close()


def _open(source: Source) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(source.path)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedFileError("the PDF is password-protected; a password is needed to open it") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise EncryptedFileError("the PDF is encrypted with an unsupported security handler") from None
        if code == pdfium_c.FPDF_ERR_SUCCESS:
            raise CorruptFileError("the PDF has no pages") from None
        raise CorruptFileError(f"the PDF cannot be opened: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    # "Failed to load document (PDFium: Data format error)." -> "Data format error"
    match = re.search(r"PDFium: ([^)]*)\)", str(exc))
    return match.group(1) if match else str(exc)


def _extract(pdf: pdfium.PdfDocument, options: dict[str, Any]) -> ParsedDocument:
    count = len(pdf)
    max_pages = options.get("max_pages")
    if max_pages is not None and count > max_pages:
        raise LimitExceededError(f"the PDF has {count} pages; this pipeline accepts at most {max_pages}")
    document = ParsedDocument(metadata=_metadata(pdf))
    document.metadata["page_count"] = count
    pages: list[list[Element]] = []
    chars: list[int] = []
    unreadable: list[int] = []
    for index in range(count):
        number = index + 1
        text = _page_text(pdf, index)
        if text is None:
            unreadable.append(number)
            text = ""
        chars.append(sum(map(len, text.split())))  # visible characters, at C speed
        pages.append([Element(kind, block, page=number) for kind, block in page_blocks(text)])
    _ocr(pdf, pages, chars, unreadable, options, document)
    for index, elements in enumerate(pages):
        if index:
            document.elements.append(Element("page_break", "", page=index + 1))
        document.elements.extend(elements)
    empty = [index + 1 for index in range(count) if chars[index] < EMPTY_PAGE_CHARS]
    document.signals.update(
        pages=count, empty_pages=len(empty), chars_per_page=round(sum(chars) / count, 1) if count else 0.0
    )
    if unreadable:
        document.signals["unreadable_pages"] = len(unreadable)
        document.warnings.append(f"{len(unreadable)} of {count} pages could not be read: {_page_list(unreadable)}")
    return document


def _ocr(
    pdf: pdfium.PdfDocument,
    pages: list[list[Element]],
    chars: list[int],
    unreadable: list[int],
    options: dict[str, Any],
    document: ParsedDocument,
) -> None:
    """Read pages with OCR as ``parse.ocr`` says, replacing their (missing) text-layer elements in ``pages``."""
    mode = options.get("ocr", "auto")
    count = len(pages)
    skipped = set(unreadable)
    readable = [index for index in range(count) if index + 1 not in skipped]
    without_text = [index for index in readable if chars[index] < EMPTY_PAGE_CHARS]
    if mode == "never":
        if without_text:
            document.warnings.append(
                f"{len(without_text)} of {count} pages have no text layer (scanned?); OCR is turned off (parse.ocr)"
            )
        return
    wanted = without_text if mode == "auto" else readable
    if not wanted:
        return
    cap = options.get("ocr_max_pages", DEFAULT_MAX_PAGES)
    if len(wanted) > cap:
        document.warnings.append(
            f"{len(wanted) - cap} pages beyond this pipeline's OCR limit of {cap} pages were not read with OCR"
        )
        wanted = wanted[:cap]
    try:
        languages, language_warnings = resolve_languages(options.get("ocr_languages") or ["eng"])
    except OcrUnavailableError:
        document.signals["ocr_available"] = False
        document.warnings.append(
            unavailable_warning(len(without_text)) if without_text else "OCR engine not installed: text layer only"
        )
        return
    document.warnings.extend(language_warnings)
    stats = OcrStats()
    with OcrPool(languages) as pool:
        for index in wanted:
            rendered = _render(pdf, index)
            if rendered is not None:
                for done in pool.submit(index, *rendered):
                    _use_ocr(done, pages, chars, stats)
        for done in pool.drain():
            _use_ocr(done, pages, chars, stats)
    document.signals.update(stats.signals())
    if stats.failed:
        document.warnings.append(
            f"OCR failed on {len(stats.failed)} pages ({_page_list(sorted(stats.failed))}): {stats.errors[0]}"
        )


def _render(pdf: pdfium.PdfDocument, index: int) -> tuple[Image.Image, int] | None:
    """The page as a grayscale image at ~300 dpi (less for huge pages), or None when it is blank or unrenderable."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return None
    try:
        width, height = page.get_size()
        scale = OCR_DPI / 72
        if width * height * scale * scale > MAX_OCR_PIXELS:
            scale = math.sqrt(MAX_OCR_PIXELS / max(width * height, 1.0))
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            image = bitmap.to_pil().copy()
        finally:
            bitmap.close()
    except pdfium.PdfiumError:
        return None
    finally:
        page.close()
    if is_blank(image):
        return None
    return image, round(72 * scale)


def _use_ocr(done: tuple[int, OcrResult], pages: list[list[Element]], chars: list[int], stats: OcrStats) -> None:
    index, result = done
    if isinstance(result, Exception):
        stats.fail(index + 1, result)
        return
    stats.add(result)
    blocks = ocr_blocks(result.paragraphs)
    visible = sum(len(word) for _, text in blocks for word in text.split())
    if visible == 0 and chars[index] >= EMPTY_PAGE_CHARS:
        return  # parse.ocr = always on a page OCR could not read: keep its text layer
    pages[index] = [Element(kind, text, page=index + 1) for kind, text in blocks]
    chars[index] = visible


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str | None:
    """The page's cleaned text, or None when PDFium cannot load the page. Closes what it opens at once."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return None
    try:
        textpage = page.get_textpage()
        try:
            return clean_page_text(textpage.get_text_range())
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        return None
    finally:
        page.close()


def _page_list(numbers: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(number) for number in numbers[:limit])
    return shown + (" ..." if len(numbers) > limit else "")


def _metadata(pdf: pdfium.PdfDocument) -> dict[str, Any]:
    raw = pdf.get_metadata_dict(skip_empty=True)
    metadata: dict[str, Any] = {}
    for key, name in _METADATA_KEYS.items():
        value = raw.get(key, "").replace("\x00", "").strip()
        if value:
            metadata[name] = value
    for key, name in (("CreationDate", "created"), ("ModDate", "modified")):
        converted = pdf_date_to_rfc3339(raw.get(key, ""))
        if converted:
            metadata[name] = converted
    return metadata


def pdf_date_to_rfc3339(value: str) -> str | None:
    """``D:20230104015020+01'00'`` -> ``2023-01-04T01:50:20+01:00``; None when the value is not a date.

    A date without a time zone is taken as UTC: the PDF says it is local time of an unknown zone.
    """
    match = _PDF_DATE.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, _zulu, sign, tz_hour, tz_minute = match.groups()
    try:
        offset = timedelta(hours=int(tz_hour or 0), minutes=int(tz_minute or 0))
        tz = timezone(-offset if sign == "-" else offset) if sign else UTC
        moment = datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz
        )
    except ValueError:
        return None
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
