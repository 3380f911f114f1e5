"""Layout analysis on positioned words: lines, blocks, reading order, headings, tables and page furniture.

The input is format-neutral (``model.PageInput``: words with boxes and font facts, ruling lines), so the same
logic serves a PDF's text layer and OCR words from a scan or an image.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Analysis", "DocumentLayout", "analyse_pages"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: importing ``layout.model`` alone (the PDF and OCR word producers do) stays light.
    if name in __all__:
        from webapp.pipeline.layout import analyse

        return getattr(analyse, name)
    raise AttributeError(name)
