"""Images (PNG, JPEG, TIFF with all its pages, WebP, GIF, BMP) read with OCR, then through layout analysis.

Pillow reads only the header when opening, so an image's size is checked before any pixel is decoded: more than
``MAX_PIXELS`` is a decompression bomb (a 30000 x 30000 PNG of one colour is a few kilobytes) and fails with
LimitExceededError. Images whose longer side is under 2,000 pixels (screenshots, 72-150 dpi scans) are enlarged
2x before OCR: on the corpus that lifts mean word confidence from 50-68 to 90-92 on the small ones.

Each image (each TIFF page) is a page: Tesseract's words with their boxes and the ruling lines found in the pixels
go through ``layout.analyse_pages``, so a screenshot of a table comes out as a table, a heading as a heading. Sizes
and boxes are in points at the image's own resolution (a 300 dpi scan of A4 is 595 x 842), or at 72 dpi when it
states none (a screenshot: one pixel is one point), as displayed (EXIF orientation applied). A page Tesseract read
turned keeps its boxes on the page as displayed; ``Page.rotation`` says by how much it was turned to be read.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, Page, ParsedDocument, Source
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.layout import analyse_pages
from webapp.pipeline.layout.model import PageInput
from webapp.pipeline.ocr import (
    DEFAULT_MAX_PAGES,
    MAX_OCR_PIXELS,
    OcrPage,
    OcrPool,
    OcrResult,
    OcrStats,
    OcrUnavailableError,
    is_blank,
    resolve_languages,
    unavailable_warning,
)
from webapp.pipeline.ocr_rules import displayed_bbox
from webapp.pipeline.ocr_words import ocr_page_input
from webapp.pipeline.parsers.pdf_text import ocr_blocks

log = logging.getLogger(__name__)

# 100 megapixels: an A3 page at 600 dpi is 70. Pillow warns above its limit and refuses above twice it; the
# warning is made an error here, so the bound is exact.
MAX_PIXELS = 100_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)

_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP", "GIF", "BMP")
# Formats whose extra frames are pages; in GIF and WebP they are animation frames, and only the first is read.
_PAGED = ("TIFF",)
_SMALL_SIDE = 2000
# EXIF orientations that show the image turned by 90 or 270 degrees (width and height swap).
_ORIENTATION = 0x0112
_TURNED = (5, 6, 7, 8)


class ImageParser(Parser):
    name = "image"
    mime_types = {
        "image/png": 100,
        "image/jpeg": 100,
        "image/tiff": 100,
        "image/webp": 100,
        "image/gif": 100,
        "image/bmp": 100,
        "image/x-ms-bmp": 100,  # libmagic's name for BMP
    }

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        try:
            with Image.open(source.path, formats=_FORMATS) as image:
                return _extract(image, options)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise LimitExceededError(f"the image is too large to decode safely: {exc}") from None
        except UnidentifiedImageError:
            raise CorruptFileError("the image cannot be read: unknown or damaged image data") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            # Pillow reports truncated and malformed data as OSError (and a few decoders as SyntaxError).
            raise CorruptFileError(f"the image cannot be read: {exc}") from None


@dataclass(slots=True)
class _Frame:
    """One page of the image: its size as displayed and, once read, its layout input."""

    page: Page
    # Pixels per inch of the image as stored (``_page_dpi``).
    dpi: float
    ocr: OcrPage | None = None
    layout: PageInput | None = None


def _extract(image: Image.Image, options: dict[str, Any]) -> ParsedDocument:
    _check_size(image)
    count = getattr(image, "n_frames", 1) if image.format in _PAGED else 1
    max_pages = options.get("max_pages")
    if max_pages is not None and count > max_pages:
        raise LimitExceededError(f"the image has {count} pages; this pipeline accepts at most {max_pages}")
    document = ParsedDocument(
        metadata={"format": image.format, "width": image.width, "height": image.height, "page_count": count}
    )
    frames = _ocr(image, count, options, document)
    _layout(frames, options, document)
    document.pages = [frame.page for frame in frames]
    filled = {element.page for element in document.elements if element.type != "page_break"}
    document.signals.update(pages=count, empty_pages=count - len(filled))
    return document


def _ocr(image: Image.Image, count: int, options: dict[str, Any], document: ParsedDocument) -> list[_Frame]:
    """Every page's frame, read with OCR as far as ``parse.ocr`` and the page cap allow."""
    languages = _languages(count, options, document)
    if languages is None:
        return [_frame(image, index) for index in range(count)]
    cap = options.get("ocr_max_pages", DEFAULT_MAX_PAGES)
    if count > cap:
        document.warnings.append(f"{count - cap} pages beyond this pipeline's OCR limit of {cap} pages were not read")
    frames: list[_Frame] = []
    stats = OcrStats()
    with OcrPool(languages) as pool:
        for index in range(count):
            frames.append(_frame(image, index))
            prepared = _prepare(image, first=index == 0) if index < cap else None
            if prepared is not None:
                gray, factor = prepared
                # The image rides along with its result (the pool holds it until then anyway): its rules are
                # found when the result comes back, while Tesseract reads the next pages.
                for done in pool.submit((index, gray, factor), gray, _dpi(image, factor)):
                    _use_ocr(done, frames, stats)
        for done in pool.drain():
            _use_ocr(done, frames, stats)
    document.signals.update(stats.signals())
    if stats.failed:
        document.warnings.append(f"OCR failed on {len(stats.failed)} pages: {stats.errors[0]}")
    return frames


def _languages(count: int, options: dict[str, Any], document: ParsedDocument) -> str | None:
    """Tesseract's ``-l`` argument, or None (with a warning) when the pages are not to be read."""
    if options.get("ocr", "auto") == "never":
        document.warnings.append("OCR is turned off for this pipeline (parse.ocr = never): the image was not read")
        return None
    try:
        languages, language_warnings = resolve_languages(options.get("ocr_languages") or ["eng"])
    except OcrUnavailableError:
        document.signals["ocr_available"] = False
        document.warnings.append(unavailable_warning(count))
        return None
    document.warnings.extend(language_warnings)
    return languages


def _frame(image: Image.Image, index: int) -> _Frame:
    """Page ``index`` (the image is moved to it) with its size in points, read from the header only."""
    if index:
        image.seek(index)
        _check_size(image)
    width, height = image.size
    if index == 0 and image.getexif().get(_ORIENTATION) in _TURNED:
        width, height = height, width  # shown turned, as ``_prepare`` reads it (``exif_transpose``)
    dpi = _page_dpi(image)
    return _Frame(Page(index + 1, width * 72.0 / dpi, height * 72.0 / dpi, source="ocr"), dpi)


def _check_size(image: Image.Image) -> None:
    if image.width * image.height > MAX_PIXELS:
        raise LimitExceededError(
            f"the image is {image.width} x {image.height} pixels; at most {MAX_PIXELS // 1_000_000} megapixels "
            "are accepted"
        )


def _prepare(image: Image.Image, first: bool) -> tuple[Image.Image, int] | None:
    """The frame in gray on white, enlarged when small, and the enlargement; None when it is blank."""
    frame = ImageOps.exif_transpose(image) if first else image
    gray = _to_gray(frame)
    if is_blank(gray):
        return None
    factor = 2 if max(gray.size) < _SMALL_SIDE and gray.width * gray.height * 4 <= MAX_OCR_PIXELS else 1
    if factor > 1:
        gray = gray.resize((gray.width * factor, gray.height * factor), Image.Resampling.LANCZOS)
    return gray, factor


def _to_gray(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        # 16-bit and float samples: scale into 0-255 instead of clipping everything bright to white.
        low, high = image.convert("F").getextrema()
        span = (high - low) or 1.0
        return image.convert("F").point(lambda value: (value - low) * 255.0 / span).convert("L")
    if mode in ("P", "PA", "LA", "RGBA", "La", "RGBa"):
        # Transparent pixels would turn black in a plain conversion; text on them must stay readable.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("L")
    if mode in ("L", "1", "RGB"):
        return image.convert("L")
    return image.convert("RGB").convert("L")


def _dpi(image: Image.Image, factor: int) -> int | None:
    """The resolution to tell Tesseract: the image's own, times the enlargement; None when it has none."""
    value = _stored_dpi(image)
    return round(value * factor) if value else None


def _page_dpi(image: Image.Image) -> float:
    """Pixels per inch for the page's size in points: the image's own resolution, else 72 (a pixel is a point).

    A screenshot or a photo rarely says its resolution (or says 72): at 72 its boxes are its pixels, which is
    what a viewer showing it at 100 % draws. A scan almost always carries its scanning resolution.
    """
    return _stored_dpi(image) or 72.0


def _stored_dpi(image: Image.Image) -> float | None:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    # Outside this range it is an aspect ratio (JFIF writes 1 x 1) or nonsense.
    if not 70 <= value <= 2400:
        return None
    # PNG stores pixels per metre: 300 dpi comes back as 299.9994.
    return float(round(value)) if abs(value - round(value)) < 0.05 else value


def _use_ocr(done: tuple[tuple[int, Image.Image, int], OcrResult], frames: list[_Frame], stats: OcrStats) -> None:
    (index, image, factor), result = done
    if isinstance(result, Exception):
        stats.fail(index + 1, result)
        return
    stats.add(result)
    frame = frames[index]
    frame.ocr = result
    frame.page.rotation = result.rotation
    frame.layout = ocr_page_input(result, index + 1, frame.page.width, frame.page.height, frame.dpi * factor, image)


def _layout(frames: list[_Frame], options: dict[str, Any], document: ParsedDocument) -> None:
    """Elements and tables from the pages' words; a page Tesseract read turned keeps its boxes as displayed."""
    inputs = [frame.layout for frame in frames if frame.layout is not None]
    try:
        analysis = analyse_pages(inputs, options)
    except Exception:  # a layout bug must not cost the document its text
        log.exception("layout analysis failed on an image")
        document.warnings.append(
            "layout_failed: layout analysis failed; the text is given as OCR read it, without headings, tables or boxes"
        )
        _paragraphs(frames, document)
        return
    turned = {page.number: page for page in inputs if page.rotation}
    for item in [*analysis.elements, *analysis.tables]:
        page = turned.get(item.page or 0)
        if page is not None and item.bbox is not None:
            item.bbox = displayed_bbox(item.bbox, page.rotation, page.width, page.height)
    document.elements, document.tables = analysis.elements, analysis.tables
    document.warnings.extend(analysis.warnings)


def _paragraphs(frames: list[_Frame], document: ParsedDocument) -> None:
    for index, frame in enumerate(frames):
        if index:
            document.elements.append(Element("page_break", "", page=index + 1))
        if frame.ocr is not None:
            blocks = ocr_blocks(frame.ocr.paragraphs)
            document.elements.extend(Element(kind, text, page=index + 1) for kind, text in blocks)
