"""Word, Excel and PowerPoint 97-2003 files through the catdoc tools (Debian package catdoc).

The corpus has no legacy Office file and nothing here writes .doc or .ppt, so those two are covered through the
shared machinery (tool missing, time and output limits, exit status); .xls is written with xlwt.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import olefile
import pytest

from tests.pipeline.helpers import OPTIONS, parse, source
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError, UnsupportedFormatError
from webapp.pipeline.parsers import legacy
from webapp.pipeline.parsers.legacy import DOC, XLS, LegacyOfficeParser, run_tool
from webapp.pipeline.render import to_markdown

needs_catdoc = pytest.mark.skipif(shutil.which("xls2csv") is None, reason="Debian package catdoc is not installed")


def _workbook(path: Path) -> Path:
    xlwt = pytest.importorskip("xlwt")
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Budget")
    for row, values in enumerate((("Item", "Cost"), ("Tea", 3.5), ("Café", 12))):
        for column, value in enumerate(values):
            sheet.write(row, column, value)
    workbook.add_sheet("Notes").write(0, 0, "Checked, twice")
    workbook.save(str(path))
    return path


@needs_catdoc
def test_xls_sheets_become_tables_with_their_names(tmp_path: Path) -> None:
    detection, document = parse(_workbook(tmp_path / "budget.bin"))
    assert detection.mime_type == XLS
    assert document.metadata["sheets"] == ["Budget", "Notes"]
    assert document.metadata["sheet_count"] == 2
    assert document.tables[0].rows == [["Item", "Cost"], ["Tea", "3.5"], ["Café", "12"]]
    assert document.tables[1].rows == [["Checked, twice"]]
    assert (document.tables[0].page, document.tables[1].page) == (1, 2)
    assert "# Budget" in to_markdown(document)


def test_encrypted_xls_is_refused_before_conversion(tmp_path: Path) -> None:
    """GIVEN a workbook whose second record is turned into FILEPASS (same size, so the container stays valid)."""
    path = _workbook(tmp_path / "secret.xls")
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
        stream[20:22] = (0x002F).to_bytes(2, "little")  # BOF is 4 + 16 bytes; the record after it starts at 20
        ole.write_stream("Workbook", bytes(stream))
    with pytest.raises(EncryptedFileError, match="password-protected"):
        LegacyOfficeParser().parse(source(path), Detection(XLS), OPTIONS)


def test_missing_tool_says_which_package_adds_the_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(legacy.shutil, "which", lambda _name: None)
    path = tmp_path / "letter.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    with pytest.raises(UnsupportedFormatError, match=r"Debian package 'catdoc'.*supported formats: .*application/pdf"):
        LegacyOfficeParser().parse(source(path), Detection(DOC), OPTIONS)


def test_tool_output_is_returned() -> None:
    assert run_tool(["printf", "one\\ntwo"], "printf") == "one\ntwo"


def test_tool_failure_is_corrupt_with_its_message() -> None:
    with pytest.raises(CorruptFileError, match="sh could not read the file: not a Word file"):
        run_tool(["sh", "-c", "echo 'not a Word file' >&2; exit 3"], "sh")


def test_tool_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(legacy, "TIMEOUT_SECONDS", 0.2)
    with pytest.raises(LimitExceededError, match="took longer"):
        run_tool(["sleep", "5"], "sleep")


def test_tool_output_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(legacy, "MAX_OUTPUT_BYTES", 100_000)
    with pytest.raises(LimitExceededError, match="wrote more than"):
        run_tool(["yes"], "yes")
