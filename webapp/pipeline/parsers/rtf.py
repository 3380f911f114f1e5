"""RTF in pure Python: a tokenizer over control words, groups and text; no external program.

Paragraphs end at ``\\par``; table rows (``\\cell`` ... ``\\row``) become tables; ``\\'hh`` bytes are decoded with the
document's code page (``\\ansicpg``, multi-byte pages included) and ``\\uN`` characters replace their ANSI
fallbacks (``\\ucN``). Font, colour and style tables, pictures, objects, field instructions and every ``\\*``
destination are skipped; title and author come from the info group. Headers and footers are skipped too.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source, Table
from webapp.pipeline.errors import CorruptFileError, LimitExceededError
from webapp.pipeline.render import table_text

# A control word with its argument, a hex byte, a control symbol, a brace, line ends (ignored), or text.
_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|[\r\n]+|([^\\{}\r\n]+)"
)
_SKIP = {
    b"fonttbl", b"colortbl", b"stylesheet", b"listtable", b"listoverridetable", b"revtbl", b"rsidtbl", b"pict",
    b"object", b"fldinst", b"themedata", b"colorschememapping", b"datastore", b"latentstyles", b"xmlnstbl",
    b"generator", b"filetbl", b"header", b"headerl", b"headerr", b"headerf", b"footer", b"footerl", b"footerr",
    b"footerf", b"pgdsctbl", b"operator", b"company", b"comment", b"keywords", b"doccomm", b"bkmkstart", b"bkmkend",
    b"nonshppict", b"blipuid", b"userprops", b"private", b"template", b"buptim", b"printim", b"creatim", b"revtim",
}  # fmt: skip
_INFO = {b"title": "title", b"author": "author", b"subject": "subject"}
_SYMBOLS = {
    b"line": "\n", b"tab": "\t", b"emdash": "\u2014", b"endash": "\u2013", b"bullet": "\u2022", b"lquote": "\u2018",
    b"rquote": "\u2019", b"ldblquote": "\u201c", b"rdblquote": "\u201d", b"emspace": " ", b"enspace": " ",
    b"qmspace": " ", b"~": "\u00a0", b"-": "", b"_": "-",
}  # fmt: skip
_ESCAPES = {b"\\": "\\", b"{": "{", b"}": "}", b"~": "\u00a0", b"-": "", b"_": "\u2011"}
_IGNORED = "_ignored"
# Groups nest this deep at most; hostile files nest far deeper to exhaust memory.
MAX_DEPTH = 1000


@dataclass(slots=True)
class _State:
    skip: bool = False
    uc: int = 1
    info: str | None = None


@dataclass(slots=True)
class _Builder:
    codec: str = "cp1252"
    elements: list[Element] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    pending: bytearray = field(default_factory=bytearray)
    cells: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    in_table: bool = False

    def add_text(self, text: str, state: _State) -> None:
        self.flush_bytes(state)
        if state.info is not None:
            self.metadata[state.info] = self.metadata.get(state.info, "") + text
        else:
            self.text.append(text)

    def add_byte(self, value: int) -> None:
        self.pending.append(value)

    def flush_bytes(self, state: _State) -> None:
        if self.pending:
            text = bytes(self.pending).decode(self.codec, errors="replace")
            self.pending.clear()
            self.add_text(text, state)

    def take(self) -> str:
        text = "".join(self.text)
        self.text.clear()
        return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()

    def paragraph(self) -> None:
        if self.in_table:
            self.text.append("\n")  # a paragraph inside a cell
            return
        text = self.take()
        self.end_table()
        if text:
            self.elements.append(Element("paragraph", text))

    def cell(self) -> None:
        self.cells.append(self.take())

    def row(self) -> None:
        if self.cells and any(self.cells):
            self.rows.append(self.cells)
        self.cells = []

    def end_table(self) -> None:
        self.in_table = False
        if self.cells:
            self.row()
        if self.rows:
            width = max(len(row) for row in self.rows)
            table = Table([row + [""] * (width - len(row)) for row in self.rows])
            self.tables.append(table)
            self.elements.append(Element("table", table_text(table), table_index=len(self.tables) - 1))
        self.rows = []


class RtfParser(Parser):
    name = "rtf"
    mime_types = {"application/rtf": 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        data = source.path.read_bytes()
        if not data.lstrip().startswith(b"{\\rtf"):
            raise CorruptFileError("the file does not start with an RTF header ({\\rtf)")
        builder = _Builder()
        _walk(data, builder)
        builder.paragraph()
        builder.end_table()
        metadata = {
            key: " ".join(value.split()) for key, value in builder.metadata.items() if value.strip() and key != _IGNORED
        }
        if not options.get("tables", True):
            for element in builder.elements:
                if element.type == "table":
                    element.type, element.table_index = "paragraph", None
            builder.tables = []
        return ParsedDocument(elements=builder.elements, tables=builder.tables, metadata=metadata)


def _walk(data: bytes, builder: _Builder) -> None:
    stack: list[_State] = []
    state = _State()
    skip_chars = 0  # ANSI fallback characters still to drop after a \uN
    for match in _TOKEN.finditer(data):
        word, argument, hex_byte, symbol, brace, text = match.groups()
        if brace == b"{":
            builder.flush_bytes(state)
            if len(stack) >= MAX_DEPTH:
                raise LimitExceededError(f"the RTF nests groups deeper than {MAX_DEPTH} levels")
            stack.append(state)
            state = _State(state.skip, state.uc, state.info)
            continue
        if brace == b"}":
            builder.flush_bytes(state)
            state = stack.pop() if stack else state
            continue
        if state.skip:
            continue
        if skip_chars and (text or hex_byte):
            if hex_byte is not None:
                skip_chars -= 1
                continue
            dropped = min(skip_chars, len(text))
            skip_chars -= dropped
            text = text[dropped:]
            if not text:
                continue
        if word is not None:
            skip_chars = _control(word, argument, state, builder)
        elif hex_byte is not None:
            builder.add_byte(int(hex_byte, 16))
        elif symbol is not None:
            _symbol(symbol, state, builder)
        elif text:
            builder.add_text(text.decode("latin-1"), state)


def _control(word: bytes, argument: bytes | None, state: _State, builder: _Builder) -> int:
    """Handle one control word; returns how many fallback characters to skip (after \\u)."""
    if word in _SKIP:
        state.skip = True
    elif word in _INFO:
        state.info = _INFO[word]
    elif word == b"info":
        state.info = _IGNORED  # text of other info fields (version, counts) is not content
    elif word == b"intbl":
        builder.in_table = True
    elif word == b"pard":
        builder.in_table = False
    elif word == b"u" and argument is not None:
        value = int(argument)
        builder.add_text(chr(value + 65536 if value < 0 else value) if -32768 <= value < 65536 else "", state)
        return state.uc
    elif word == b"uc" and argument is not None:
        state.uc = max(int(argument), 0)
    elif word == b"ansicpg" and argument is not None:
        builder.codec = _codec(int(argument))
    elif word == b"par" or word == b"sect" or word == b"page":
        builder.flush_bytes(state)
        builder.paragraph()
    elif word == b"cell" or word == b"nestcell":
        builder.flush_bytes(state)
        builder.cell()
    elif word == b"row" or word == b"nestrow":
        builder.row()
    elif word in _SYMBOLS:
        builder.add_text(_SYMBOLS[word], state)
    elif word == b"bin" and argument is not None:
        state.skip = True  # binary data runs to the end of its group
    return 0


def _symbol(symbol: bytes, state: _State, builder: _Builder) -> None:
    if symbol == b"*":
        state.skip = True  # an ignorable destination: readers that do not know it skip the group
    elif symbol in _ESCAPES:
        builder.add_text(_ESCAPES[symbol], state)


def _codec(code_page: int) -> str:
    name = "utf-8" if code_page == 65001 else f"cp{code_page}"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp1252"
