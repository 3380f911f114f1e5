"""Page images of a PDF, rendered by the sandbox like any pipeline (webapp/services/thumbnails.py asks for them).

A hostile PDF can crash or exhaust PDFium, so rendering never happens in the web process: the dashboard sends a
:class:`PageRequest` to ``sandbox.run_isolated`` with the one stage :class:`ThumbnailStage`. The sandbox's child
learns of that stage by unpickling the request, which imports this module, and importing it registers the stage.
The stage is not in ``registry.STAGE_ORDER``, so no pipeline can list it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from webapp.pipeline.base import Stage, StageContext
from webapp.pipeline.config import StageConfig
from webapp.pipeline.document import Source
from webapp.pipeline.errors import CorruptFileError
from webapp.pipeline.registry import register_stage

STAGE_NAME = "thumbnails"
# A page is never rendered taller than this many pixels, whatever its shape (a 1 × 100 inch strip, say).
MAX_HEIGHT = 4000


@dataclass(slots=True, frozen=True)
class PageRequest(Source):
    """The stored PDF plus which pages (1-based) to render, and how wide in pixels."""

    pages: tuple[int, ...] = ()
    width: int = 240


class ThumbnailStage(Stage):
    name = STAGE_NAME
    description = "Render PDF pages as PNG images (dashboard thumbnails; not a pipeline stage)."

    def run(self, ctx: StageContext) -> None:
        import pypdfium2 as pdfium

        request = ctx.source
        assert isinstance(request, PageRequest)
        try:
            pdf = pdfium.PdfDocument(str(request.path))
        except pdfium.PdfiumError as exc:
            raise CorruptFileError(f"the PDF cannot be opened: {exc}") from None
        try:
            count = len(pdf)
            images = {}
            for number in request.pages:
                if 1 <= number <= count:
                    ctx.check_cancelled()
                    images[number] = _render(pdf[number - 1], request.width)
        finally:
            pdf.close()
        ctx.output.update(page_count=count, images=images)


def _render(page, width: int) -> bytes:
    page_width, page_height = page.get_size()
    scale = width / page_width if page_width > 0 else 1.0
    if page_height * scale > MAX_HEIGHT:
        scale = MAX_HEIGHT / page_height
    bitmap = page.render(scale=scale)
    image = bitmap.to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    page.close()
    return out.getvalue()


def stages() -> list[StageConfig]:
    return [StageConfig(STAGE_NAME)]


register_stage(ThumbnailStage)
