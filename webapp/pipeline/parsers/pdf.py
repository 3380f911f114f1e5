"""PDF text layer extraction with PDFium (pypdfium2), page by page. OCR of pages without text comes later."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError
from webapp.pipeline.parsers.pdf_text import clean_page_text, page_blocks

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
    empty: list[int] = []
    unreadable: list[int] = []
    visible_chars = 0
    for index in range(count):
        number = index + 1
        text = _page_text(pdf, index)
        if text is None:
            unreadable.append(number)
            text = ""
        chars = sum(map(len, text.split()))  # visible characters, at C speed
        visible_chars += chars
        if chars < EMPTY_PAGE_CHARS:
            empty.append(number)
        if index:
            document.elements.append(Element("page_break", "", page=number))
        document.elements.extend(Element(kind, block, page=number) for kind, block in page_blocks(text))
    document.signals.update(
        pages=count, empty_pages=len(empty), chars_per_page=round(visible_chars / count, 1) if count else 0.0
    )
    _add_warnings(document, count, empty, unreadable)
    return document


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


def _add_warnings(document: ParsedDocument, count: int, empty: list[int], unreadable: list[int]) -> None:
    if unreadable:
        document.signals["unreadable_pages"] = len(unreadable)
        document.warnings.append(f"{len(unreadable)} of {count} pages could not be read: {_page_list(unreadable)}")
    if empty:
        document.warnings.append(
            f"{len(empty)} of {count} pages have no text layer (scanned?); OCR comes with a later version"
        )


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
