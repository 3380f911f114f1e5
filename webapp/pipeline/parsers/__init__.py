"""Built-in parsers, registered explicitly; the registry picks the highest score for a MIME type."""

from __future__ import annotations

from collections.abc import Callable

from webapp.pipeline.parsers.delimited import DelimitedParser
from webapp.pipeline.parsers.docx import DocxParser
from webapp.pipeline.parsers.email import EmlParser
from webapp.pipeline.parsers.html import HtmlParser
from webapp.pipeline.parsers.image import ImageParser
from webapp.pipeline.parsers.jsondoc import JsonParser
from webapp.pipeline.parsers.legacy import LegacyOfficeParser
from webapp.pipeline.parsers.markdown import MarkdownParser
from webapp.pipeline.parsers.msg import MsgParser
from webapp.pipeline.parsers.odf import OdfParser
from webapp.pipeline.parsers.pdf import PdfParser
from webapp.pipeline.parsers.pptx import PptxParser
from webapp.pipeline.parsers.rtf import RtfParser
from webapp.pipeline.parsers.text import TextParser
from webapp.pipeline.parsers.xlsx import XlsxParser
from webapp.pipeline.parsers.xmldoc import XmlParser

# One parser a line, in no particular order: the MIME score decides, not the position.
BUILTIN_PARSERS = (
    PdfParser,
    DocxParser,
    XlsxParser,
    PptxParser,
    OdfParser,
    LegacyOfficeParser,
    RtfParser,
    HtmlParser,
    EmlParser,
    MsgParser,
    MarkdownParser,
    DelimitedParser,
    JsonParser,
    XmlParser,
    TextParser,
    ImageParser,
)


def register_builtins(register: Callable) -> None:
    for parser in BUILTIN_PARSERS:
        register(parser)
