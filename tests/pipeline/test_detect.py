from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from tests.pipeline.helpers import corpus, source
from webapp.pipeline.detect import DOCX, PPTX, XLSX, detect
from webapp.pipeline.errors import EmptyDocumentError, EncryptedFileError


@pytest.mark.parametrize(
    ("name", "mime_type"),
    [
        ("pdf_arxiv_2201.00200.pdf", "application/pdf"),
        ("bad_pdf_is_html_derived.pdf", "text/html"),
        ("bad_pdf_truncated_derived.pdf", "application/pdf"),
        ("docx_docling_word_sample.docx", DOCX),
        ("xlsx_tika_testEXCEL.xlsx", XLSX),
        ("pptx_tika_testPPT.pptx", PPTX),
        ("html_wiki_world_war_ii.html", "text/html"),
        ("html_example-10k.html", "application/xhtml+xml"),
        ("csv_stanley-cups.csv", "text/csv"),
        ("csv_csv-with-long-lines.csv", "text/csv"),
        ("md_docling_wiki.md", "text/markdown"),
        ("md_kreuzberg_comprehensive.md", "text/markdown"),
        ("txt_norwich-city.txt", "text/plain"),
        ("txt_war-and-peace-1225p.txt", "text/plain"),
        ("eml_fake-email-attachment.eml", "message/rfc822"),
        ("eml_tika_testEmailWithPNGAtt.eml", "message/rfc822"),
        ("msg_fake-email.msg", "application/vnd.ms-outlook"),
        ("msg_with_png_attachment.msg", "application/vnd.ms-outlook"),
        ("img_DA-1p.png", "image/png"),
        ("img_layout-parser-paper-fast.jpg", "image/jpeg"),
        ("img_docling_webp-test.webp", "image/webp"),
    ],
)
def test_corpus_files_are_detected_from_content(name: str, mime_type: str) -> None:
    assert detect(source(corpus(name))).mime_type == mime_type


@pytest.mark.parametrize("name", ["bad_docx_tika_protected_passtika.docx", "bad_xlsx_password_protected.xlsx"])
def test_encrypted_office_packages_fail_at_detection(name: str) -> None:
    """GIVEN an OOXML file saved with a password (an OLE2 container with EncryptionInfo/EncryptedPackage)."""
    with pytest.raises(EncryptedFileError, match="password-protected"):
        detect(source(corpus(name)))


def test_zero_byte_file_is_empty() -> None:
    with pytest.raises(EmptyDocumentError):
        detect(source(corpus("bad_pdf_zero_bytes_derived.pdf")))


def test_truncated_docx_is_still_recognised_so_the_parser_can_report_the_damage() -> None:
    detection = detect(source(corpus("bad_docx_truncated_derived.docx")))
    assert detection.mime_type == DOCX
    assert "local headers" in detection.reason


def test_utf16_text_with_bom() -> None:
    detection = detect(source(corpus("txt_fake-text-utf-16.txt")))
    assert (detection.mime_type, detection.encoding) == ("text/plain", "utf-16")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


FRENCH = "Le café de la rue Saint-Honoré était plein : « déjà vu », dit-il — naïveté, résumé, “guillemets”, 5 €.\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (FRENCH.encode("cp1252"), "cp1252"),
        (FRENCH.encode("utf-8"), "utf-8"),
        (FRENCH.encode("utf-8-sig"), "utf-8-sig"),
        (FRENCH.encode("utf-16-le"), "utf-16-le"),
        (FRENCH.encode("utf-16-be"), "utf-16-be"),
        (("Привет, это проверка кодировки. " * 20).encode("cp1251"), "cp1251"),
    ],
)
def test_text_encodings(tmp_path: Path, data: bytes, encoding: str) -> None:
    detection = detect(source(_write(tmp_path, "note.txt", data)))
    assert (detection.mime_type, detection.encoding) == ("text/plain", encoding)


def test_the_extension_never_overrides_binary_content(tmp_path: Path) -> None:
    pdf = corpus("pdf_fake-memo.pdf").read_bytes()
    assert detect(source(_write(tmp_path, "memo.txt", pdf))).mime_type == "application/pdf"


def test_pdf_header_after_leading_junk(tmp_path: Path) -> None:
    data = b"\r\n" * 100 + corpus("pdf_fake-memo.pdf").read_bytes()
    assert detect(source(_write(tmp_path, "junk.bin", data))).mime_type == "application/pdf"


@pytest.mark.parametrize(
    ("filename", "mime_type"),
    [("pair.csv", "text/csv"), ("pair.txt", "text/plain"), ("pair.md", "text/markdown"), ("pair.tsv", "text/csv")],
)
def test_extension_breaks_ties_only_between_text_formats(tmp_path: Path, filename: str, mime_type: str) -> None:
    """GIVEN two comma-separated lines: too little to call CSV from content alone."""
    path = _write(tmp_path, filename, b"name,city\nAda,London\n")
    assert detect(source(path)).mime_type == mime_type


def test_clear_content_beats_a_misleading_text_extension(tmp_path: Path) -> None:
    markdown = b"# Title\n\nSome [link](https://example.org) text.\n\n## Part\n\n- one\n- two\n"
    rows = b"".join(b"%d,item %d,%d.5\n" % (n, n, n) for n in range(20))
    assert detect(source(_write(tmp_path, "notes.txt", markdown))).mime_type == "text/markdown"
    assert detect(source(_write(tmp_path, "rows.md", rows))).mime_type == "text/csv"


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [
        (b'{"name": "docpipe", "tags": ["a", "b"]}', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'<?xml version="1.0"?><catalog><book id="1">Dune</book></catalog>', "application/xml"),
        (b"<!DOCTYPE html><title>x</title><p>Hello", "text/html"),
        (b"<!-- saved page -->\n<div><p>Hello</p></div>", "text/html"),
        (b"From: a@example.org\nTo: b@example.org\nSubject: Hi\n\nBody\n", "message/rfc822"),
        (b"Name\tCity\nAda\tLondon\nAlan\tWilmslow\nGrace\tNew York\nKaren\tLeeds\nEdsger\tRotterdam\n", None),
        (b"{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\pard Hello}", "application/rtf"),
        (b"Just a sentence, with a comma.\nAnd another line without.\n", "text/plain"),
    ],
)
def test_text_formats_by_content(tmp_path: Path, data: bytes, mime_type: str | None) -> None:
    detection = detect(source(_write(tmp_path, "upload.bin", data)))
    assert detection.mime_type == (mime_type or "text/tab-separated-values")


def test_odf_mimetype_member(tmp_path: Path) -> None:
    path = tmp_path / "letter.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    assert detect(source(path)).mime_type == "application/vnd.oasis.opendocument.text"


def test_plain_zip_and_unknown_binary_fall_back_to_generic_types(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert detect(source(path)).mime_type == "application/zip"
    packed = _write(tmp_path, "data.bin", gzip.compress(b"x" * 1000))
    assert detect(source(packed)).mime_type == "application/gzip"


def test_zip_with_a_huge_directory_is_sniffed_from_its_first_members(tmp_path: Path) -> None:
    """GIVEN a DOCX-like archive with 20,000 members: its directory is not worth reading just to sniff."""
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for number in range(20_000):
            archive.writestr(f"word/media/{number}.txt", "")
    detection = detect(source(path))
    assert detection.mime_type == DOCX
    assert "local headers" in detection.reason


def test_only_a_bounded_prefix_is_read(tmp_path: Path) -> None:
    """GIVEN a big text file whose tail would change the verdict if it were read (NUL bytes: binary)."""
    path = _write(tmp_path, "big.txt", b"plain words here\n" * 10000 + b"\x00" * 1000)
    assert detect(source(path)).mime_type == "text/plain"
