from __future__ import annotations

import pytest

from tests.pipeline.helpers import best_parser
from webapp.pipeline.detect import DOCX
from webapp.pipeline.parsers import register_builtins


def test_register_builtins_registers_every_parser_once() -> None:
    registered: list[type] = []
    register_builtins(registered.append)
    names = [parser.name for parser in registered]
    assert sorted(names) == ["csv", "docx", "html", "markdown", "pdf", "text"]


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
        ("application/json", "text"),
    ],
)
def test_the_specific_parser_outscores_the_text_fallback(mime_type: str, parser: str) -> None:
    assert best_parser(mime_type).name == parser
