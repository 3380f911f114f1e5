"""Built-in parsers, registered explicitly; the registry picks the highest score for a MIME type."""

from __future__ import annotations

from collections.abc import Callable

from webapp.pipeline.parsers.delimited import DelimitedParser
from webapp.pipeline.parsers.docx import DocxParser
from webapp.pipeline.parsers.html import HtmlParser
from webapp.pipeline.parsers.image import ImageParser
from webapp.pipeline.parsers.markdown import MarkdownParser
from webapp.pipeline.parsers.pdf import PdfParser
from webapp.pipeline.parsers.text import TextParser

BUILTIN_PARSERS = (PdfParser, DocxParser, HtmlParser, MarkdownParser, DelimitedParser, TextParser, ImageParser)


def register_builtins(register: Callable) -> None:
    for parser in BUILTIN_PARSERS:
        register(parser)
