"""Legacy binary Office files (Word 97-2003 .doc, Excel .xls, PowerPoint .ppt) through the catdoc tools.

catdoc, xls2csv and catppt (Debian package ``catdoc``) run as child processes with a time limit and a cap on
their output. Without them these formats fail with UnsupportedFormatError naming the package. Word and PowerPoint
text comes out as paragraphs (one per line of the tools' output); each Excel sheet as a table (xls2csv does not
give sheet names, so sheets are numbered; ``page`` = sheet number). Encrypted files are recognised from their
headers first and fail with EncryptedFileError.
"""

from __future__ import annotations

import csv
import io
import shutil
import struct
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import olefile

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source, Table
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError, UnsupportedFormatError
from webapp.pipeline.render import table_text

DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
DEBIAN_PACKAGE = "catdoc"
TIMEOUT_SECONDS = 60
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024
# MIME type -> (label, program, arguments before the file name).
_TOOLS = {
    DOC: ("Word 97-2003 (.doc)", "catdoc", ["-d", "utf-8", "-w"]),
    XLS: ("Excel 97-2003 (.xls)", "xls2csv", ["-d", "utf-8", "-q", "1", "-f", "%Y-%m-%d"]),
    PPT: ("PowerPoint 97-2003 (.ppt)", "catppt", ["-d", "utf-8"]),
}
_FILEPASS = 0x002F  # BIFF record: the workbook is encrypted
_BOUNDSHEET = 0x0085
_EOF = 0x000A
_GLOBALS_BYTES = 4 * 1024 * 1024


class LegacyOfficeParser(Parser):
    name = "legacy-office"
    mime_types = {DOC: 100, XLS: 100, PPT: 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:
        label, program, arguments = _TOOLS[detection.mime_type]
        executable = shutil.which(program)
        if executable is None:
            raise UnsupportedFormatError(_missing_tool_message(label, program))
        sheet_names = _inspect(source.path, detection.mime_type)
        output = run_tool([executable, *arguments, str(source.path)], program)
        document = ParsedDocument()
        if detection.mime_type == XLS:
            _sheets(document, output, sheet_names, options.get("tables", True))
        else:
            for line in output.splitlines():
                if line.strip():
                    document.elements.append(Element("paragraph", line.strip()))
        document.metadata["converter"] = program
        return document


def _missing_tool_message(label: str, program: str) -> str:
    from webapp.pipeline.registry import supported_formats  # the registry imports the parsers

    return (
        f"{label} files need the '{program}' program from the Debian package '{DEBIAN_PACKAGE}', which is not "
        f"installed on this server; supported formats: {', '.join(supported_formats())}"
    )


def run_tool(command: list[str], program: str) -> str:
    """The program's standard output as text; stderr kept for the error message. Time and output are bounded."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL)
        try:
            data = _read_bounded(process, program)
            process.wait(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise LimitExceededError(f"{program} took longer than {TIMEOUT_SECONDS} s (limit time)") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        errors.seek(0)
        message = errors.read(2000).decode("utf-8", errors="replace").strip()
    if process.returncode != 0:
        raise CorruptFileError(f"{program} could not read the file: {message or f'exit status {process.returncode}'}")
    return data.decode("utf-8", errors="replace")


def _read_bounded(process: subprocess.Popen, program: str) -> bytes:
    assert process.stdout is not None
    chunks: list[bytes] = []
    size = 0
    # A watchdog ends a tool that hangs without writing: read() would wait for it forever.
    timer = _Watchdog(process, TIMEOUT_SECONDS)
    try:
        while chunk := process.stdout.read1(_CHUNK):
            size += len(chunk)
            if size > MAX_OUTPUT_BYTES:
                raise LimitExceededError(f"{program} wrote more than {MAX_OUTPUT_BYTES // 1024 // 1024} MiB of text")
            chunks.append(chunk)
    finally:
        timer.cancel()
    if timer.fired:
        raise subprocess.TimeoutExpired(program, TIMEOUT_SECONDS)
    return b"".join(chunks)


class _Watchdog:
    def __init__(self, process: subprocess.Popen, seconds: float) -> None:
        self.fired = False
        self._process = process
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        self._process.kill()

    def cancel(self) -> None:
        self._timer.cancel()


def _sheets(document: ParsedDocument, output: str, names: list[str], tables: bool) -> None:
    sheets = output.split("\f")
    if sheets and not sheets[-1].strip():
        sheets.pop()  # the break after the last sheet
    if len(names) != len(sheets):
        names = [f"Sheet {number}" for number in range(1, len(sheets) + 1)]
    for number, (name, text) in enumerate(zip(names, sheets, strict=True), start=1):
        document.elements.append(Element("heading", name, page=number, level=1))
        rows = [row for row in csv.reader(io.StringIO(text.strip("\n"))) if any(cell.strip() for cell in row)]
        if not rows:
            continue
        width = max(len(row) for row in rows)
        rows = [[cell.strip() for cell in row] + [""] * (width - len(row)) for row in rows]
        if not tables:
            document.elements.extend(Element("paragraph", "\t".join(filter(None, row)), page=number) for row in rows)
            continue
        table = Table(rows, page=number)
        document.tables.append(table)
        index = len(document.tables) - 1
        document.elements.append(Element("table", table_text(table), page=number, table_index=index))
    document.metadata.update(sheet_count=len(sheets), sheets=names)


def _inspect(path: Path, mime_type: str) -> list[str]:
    """Raise EncryptedFileError for a password-protected file; return an Excel workbook's worksheet names."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            workbook = _workbook_globals(ole) if mime_type == XLS else b""
            encrypted = _has_filepass(workbook) if mime_type == XLS else _is_encrypted(ole, mime_type)
    except (OSError, ValueError, struct.error, IndexError) as exc:
        raise CorruptFileError(f"the OLE2 container cannot be read: {exc}") from None
    if encrypted:
        raise EncryptedFileError("the document is password-protected")
    return _sheet_names(workbook)


def _is_encrypted(ole: olefile.OleFileIO, mime_type: str) -> bool:
    if mime_type == DOC and ole.exists("WordDocument"):
        with ole.openstream("WordDocument") as stream:
            header = stream.read(12)
        # FIB: fEncrypted is bit 8 of the flags word at offset 0x0A.
        return len(header) >= 12 and bool(struct.unpack_from("<H", header, 0x0A)[0] & 0x0100)
    return mime_type == PPT and ole.exists("EncryptedSummary")


def _workbook_globals(ole: olefile.OleFileIO) -> bytes:
    for name in ("Workbook", "Book"):
        if ole.exists(name):
            with ole.openstream(name) as stream:
                return stream.read(_GLOBALS_BYTES)
    return b""


def _records(data: bytes) -> list[tuple[int, bytes]]:
    """BIFF records of the workbook globals, up to their EOF record."""
    records, offset = [], 0
    while offset + 4 <= len(data):
        kind, length = struct.unpack_from("<HH", data, offset)
        records.append((kind, data[offset + 4 : offset + 4 + length]))
        if kind == _EOF:
            break
        offset += 4 + length
    return records


def _has_filepass(data: bytes) -> bool:
    return any(kind == _FILEPASS for kind, _ in _records(data)[:20])


def _sheet_names(data: bytes) -> list[str]:
    names = []
    for kind, body in _records(data):
        # BOUNDSHEET8: stream position (4), visibility (1), type (1: 0 = worksheet), then a ShortXLUnicodeString.
        if kind != _BOUNDSHEET or len(body) < 8 or body[5] != 0:
            continue
        count, high_byte = body[6], body[7] & 1
        raw = body[8 : 8 + count * (2 if high_byte else 1)]
        names.append(raw.decode("utf-16-le" if high_byte else "latin-1", errors="replace"))
    return names
