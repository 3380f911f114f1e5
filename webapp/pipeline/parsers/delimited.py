"""CSV and TSV: the whole file becomes one table whose first row is the header."""

from __future__ import annotations

import csv
import re
from typing import Any

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source, Table
from webapp.pipeline.errors import CorruptFileError
from webapp.pipeline.parsers.text import add_encoding_facts
from webapp.pipeline.parsers.textio import open_text
from webapp.pipeline.render import table_text
from webapp.pipeline.sniff_text import sniff_delimiter

_SNIFF_CHARS = 65536

# A number as spreadsheets write it: 12, -3.5, 1,204, 7%, $ 12.
_NUMBER = re.compile(r"[-+(]?[$€£]?\s*\d[\d,. ]*%?\)?")


class DelimitedParser(Parser):
    name = "csv"
    mime_types = {"text/csv": 100, "text/tab-separated-values": 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        document = ParsedDocument()
        # newline="" lets the csv module see the line ends inside quoted fields.
        with open_text(source.path, detection.encoding, newline="") as (stream, repairs):
            delimiter = self._delimiter(stream.read(_SNIFF_CHARS), detection.mime_type)
            stream.seek(0)
            repairs.count = 0  # the sniffed sample is read again below
            try:
                rows = [row for row in csv.reader(stream, delimiter=delimiter) if any(cell.strip() for cell in row)]
            except csv.Error as exc:
                raise CorruptFileError(f"the {detection.mime_type} file cannot be parsed: {exc}") from None
        if rows:
            table = Table(rows, header_rows=_header_rows(rows))
            document.tables.append(table)
            document.elements.append(Element("table", table_text(table), table_index=0))
        document.metadata["delimiter"] = delimiter
        document.signals["rows"] = len(rows)
        add_encoding_facts(document, detection.encoding, repairs.count)
        return document

    @staticmethod
    def _delimiter(sample: str, mime_type: str) -> str:
        if mime_type == "text/tab-separated-values":
            return "\t"
        sniffed = sniff_delimiter(sample, complete=len(sample) < _SNIFF_CHARS)
        return sniffed[0] if sniffed else ","


def _header_rows(rows: list[list[str]]) -> int:
    """1 when the first row reads as column names: every cell named, none a number (a title row with empty
    cells, or a first row of data, is not a header)."""
    if len(rows) < 2 or not all(cell.strip() for cell in rows[0]):
        return 0
    return 0 if any(_NUMBER.fullmatch(cell.strip()) for cell in rows[0]) else 1
