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
from webapp.pipeline.document import Detection, ParsedDocument, Source
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError
from webapp.pipeline.ocr import (
    DEFAULT_MAX_PAGES,
    MAX_OCR_PIXELS,
    OCR_DPI,
    OcrPool,
    OcrStats,
    OcrUnavailableError,
    is_blank,
    resolve_languages,
    unavailable_warning,
)
from webapp.pipeline.pagerange import page_list, parse_page_range
from webapp.pipeline.parsers.pdf_pages import EMPTY_PAGE_CHARS, PageReader

# PDFium keeps global state and is not thread-safe; one document at a time per process.
_PDFIUM_LOCK = threading.Lock()
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
    selected = _selected_pages(options, count)
    reader = PageReader(pdf, options)
    for index in selected:
        reader.read(index)
    _ocr(pdf, reader, options, document)
    reader.finish(document)
    chars = reader.chars
    empty = [index for index in selected if chars.get(index, 0) < EMPTY_PAGE_CHARS]
    document.signals.update(
        pages=len(selected),
        empty_pages=len(empty),
        chars_per_page=round(sum(chars.values()) / len(selected), 1) if selected else 0.0,
    )
    if reader.unreadable:
        unreadable = sorted(reader.unreadable)
        document.signals["unreadable_pages"] = len(unreadable)
        document.warnings.append(
            f"{len(unreadable)} of {len(selected)} pages could not be read: {page_list(unreadable)}"
        )
    return document


def _selected_pages(options: dict[str, Any], count: int) -> list[int]:
    """Page indexes to parse: every page, or those ``parse.pages`` names (validated when the pipeline was saved)."""
    wanted = options.get("pages") or ""
    if not wanted:
        return list(range(count))
    return [number - 1 for number in parse_page_range(wanted).pages(count)]


def _ocr(pdf: pdfium.PdfDocument, reader: PageReader, options: dict[str, Any], document: ParsedDocument) -> None:
    """Read pages with OCR as ``parse.ocr`` says, replacing their (missing) text layer in ``reader``."""
    mode = options.get("ocr", "auto")
    count = len(reader.chars)
    skipped = {number - 1 for number in reader.unreadable}
    readable = [index for index in sorted(reader.chars) if index not in skipped]
    without_text = [index for index in readable if reader.chars[index] < EMPTY_PAGE_CHARS]
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
                image, dpi = rendered
                for done in pool.submit(reader.ocr_key(index, image, dpi), image, dpi):
                    reader.use_ocr(done, stats)
        for done in pool.drain():
            reader.use_ocr(done, stats)
    document.signals.update(stats.signals())
    if stats.failed:
        document.warnings.append(
            f"OCR failed on {len(stats.failed)} pages ({page_list(sorted(stats.failed))}): {stats.errors[0]}"
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
