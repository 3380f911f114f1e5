from __future__ import annotations

import pytest

from tests.pipeline.helpers import best_parser
from webapp.pipeline.detect import DOCX, MSG, PPTM, PPTX, XLSM, XLSX
from webapp.pipeline.parsers import register_builtins


def test_register_builtins_registers_every_parser_once() -> None:
    registered: list[type] = []
    register_builtins(registered.append)
    names = [parser.name for parser in registered]
    assert sorted(names) == sorted(set(names))
    assert set(names) >= {"csv", "docx", "email", "html", "json", "legacy-office", "markdown", "msg", "odf", "pdf"}
    assert set(names) >= {"pptx", "rtf", "text", "xlsx", "xml"}


@pytest.mark.parametrize(
    ("mime_type", "parser"),
    [
        ("application/pdf", "pdf"),
        (DOCX, "docx"),
        ("text/html", "html"),
        ("application/xhtml+xml", "html"),
        ("text/markdown", "markdown"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "csv"),
        ("text/plain", "text"),
        ("application/json", "json"),
        ("application/xml", "xml"),
        (XLSX, "xlsx"),
        (XLSM, "xlsx"),
        (PPTX, "pptx"),
        (PPTM, "pptx"),
        ("message/rfc822", "email"),
        (MSG, "msg"),
        ("application/vnd.oasis.opendocument.text", "odf"),
        ("application/vnd.oasis.opendocument.spreadsheet", "odf"),
        ("application/vnd.oasis.opendocument.presentation", "odf"),
        ("application/msword", "legacy-office"),
        ("application/vnd.ms-excel", "legacy-office"),
        ("application/vnd.ms-powerpoint", "legacy-office"),
        ("application/rtf", "rtf"),
    ],
)
def test_the_specific_parser_outscores_the_text_fallback(mime_type: str, parser: str) -> None:
    assert best_parser(mime_type).name == parser
