"""Plain text: paragraphs are runs of non-blank lines. The file is streamed line by line."""

from __future__ import annotations

from typing import Any

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source
from webapp.pipeline.parsers.textio import open_lines


class TextParser(Parser):
    name = "text"
    # Structured text formats have their own parsers; plain text is the fallback that always reads them.
    mime_types = {
        "text/plain": 100,
        "text/markdown": 10,
        "text/csv": 10,
        "text/tab-separated-values": 10,
        "application/json": 10,
    }

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        document = ParsedDocument()
        paragraph: list[str] = []
        with open_lines(source.path, detection.encoding) as (lines, repairs):
            for line in lines:
                if line.strip():
                    paragraph.append(line.rstrip())
                elif paragraph:
                    document.elements.append(Element("paragraph", "\n".join(paragraph)))
                    paragraph = []
        if paragraph:
            document.elements.append(Element("paragraph", "\n".join(paragraph)))
        add_encoding_facts(document, detection.encoding, repairs.count)
        return document


def add_encoding_facts(document: ParsedDocument, encoding: str | None, repairs: int) -> None:
    document.metadata["encoding"] = encoding or "utf-8"
    document.signals["encoding_repairs"] = repairs
    if repairs:
        document.warnings.append(f"{repairs} byte sequences could not be decoded as {encoding} and were replaced")
