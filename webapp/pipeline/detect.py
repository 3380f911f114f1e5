"""Decide a file's MIME type (and a text file's encoding) from its content, never from its name.

Binary signatures we know well are sniffed here (PDF, ZIP-based office formats, OLE2 containers, images); text is
decoded and classified by ``sniff_text``; libmagic is the fallback for everything else. Only a bounded prefix is
read, plus a ZIP's end record and (small) central directory or an OLE2 file's directory sectors.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import magic

from webapp.pipeline.document import Detection, Source
from webapp.pipeline.errors import EmptyDocumentError, EncryptedFileError
from webapp.pipeline.sniff_encoding import detect_encoding
from webapp.pipeline.sniff_ole import CFB_SIGNATURE, stream_names
from webapp.pipeline.sniff_text import classify_text

PREFIX_BYTES = 64 * 1024
# The ZIP end record sits in the last 22 bytes plus a comment of up to 64 KiB.
_EOCD_SEARCH = 22 + 65535
_MAX_SNIFF_ENTRIES = 10_000
_MAX_SNIFF_DIRECTORY = 4 * 1024 * 1024

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
PPTM = "application/vnd.ms-powerpoint.presentation.macroEnabled.12"
MSG = "application/vnd.ms-outlook"
_OOXML_FOLDERS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
# The main part's content type in [Content_Types].xml tells the macro-enabled variants apart.
_MACRO_ENABLED = {
    XLSX: (b"application/vnd.ms-excel.sheet.macroEnabled.main+xml", XLSM),
    PPTX: (b"application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml", PPTM),
}
_MAX_CONTENT_TYPES = 1024 * 1024

# Formats that start with a fixed signature. RTF and PostScript are 7-bit text and would pass for plain text.
_SIGNATURES = (
    (b"{\\rtf", "application/rtf"),
    (b"%!PS", "application/postscript"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_OLE_STREAMS = (
    ("WordDocument", "application/msword"),
    ("Workbook", "application/vnd.ms-excel"),
    ("Book", "application/vnd.ms-excel"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint"),
)


def detect(source: Source) -> Detection:
    with source.path.open("rb") as handle:
        prefix = handle.read(PREFIX_BYTES)
    if not prefix:
        raise EmptyDocumentError("the file is empty (0 bytes)")
    detection = _binary_signature(source.path, prefix)
    if detection:
        return detection
    encoding = detect_encoding(prefix)
    if encoding:
        complete = len(prefix) < PREFIX_BYTES
        text = prefix.decode(encoding, errors="replace")
        mime, reason = classify_text(text, Path(source.filename).suffix, complete)
        return Detection(mime, encoding=encoding, reason=f"{reason}; {encoding} text")
    mime = magic.from_buffer(prefix, mime=True) or "application/octet-stream"
    return Detection(mime, reason=f"libmagic: {magic.from_buffer(prefix)}")


def _binary_signature(path: Path, prefix: bytes) -> Detection | None:
    # Acrobat accepts the header anywhere in the first 1 KiB, so junk before it does not make a PDF something else.
    if b"%PDF-" in prefix[:1024]:
        return Detection("application/pdf", reason="%PDF- header")
    if prefix.startswith(b"PK\x03\x04"):
        return _zip_container(path, prefix)
    if prefix.startswith(CFB_SIGNATURE):
        return _ole_container(path, prefix)
    for signature, mime in _SIGNATURES:
        if prefix.startswith(signature):
            return Detection(mime, reason=f"{mime} signature")
    if prefix[:4] == b"RIFF" and prefix[8:12] == b"WEBP":
        return Detection("image/webp", reason="RIFF WEBP signature")
    return None


def _zip_container(path: Path, prefix: bytes) -> Detection:
    odf = _odf_mimetype(prefix)
    if odf:
        return Detection(odf, reason="zip container: ODF mimetype member")
    if not _small_central_directory(path):
        # Unreadable (a truncated download) or too big to read just to sniff: the local headers at the start still
        # name the first members, which is enough to pick the parser that then reports the damage or the limit.
        return _zip_from_local_headers(prefix)
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            known = _ooxml_type(archive, names) or _odf_member(archive, names)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return _zip_from_local_headers(prefix)
    if known:
        return known
    if "mimetype" in names and "META-INF/container.xml" in names:
        return Detection("application/epub+zip", reason="zip container: EPUB layout")
    return Detection("application/zip", reason="zip container of no known document type")


def _ooxml_type(archive: zipfile.ZipFile, names: list[str]) -> Detection | None:
    if "[Content_Types].xml" not in names:
        return None
    for folder, mime in _OOXML_FOLDERS:
        if any(name.startswith(folder) for name in names):
            macro = _MACRO_ENABLED.get(mime)
            info = archive.getinfo("[Content_Types].xml")
            if macro and info.file_size <= _MAX_CONTENT_TYPES and macro[0] in archive.read(info):
                return Detection(macro[1], reason=f"zip container: macro-enabled content type and {folder}")
            return Detection(mime, reason=f"zip container: [Content_Types].xml and {folder}")
    return None


def _odf_member(archive: zipfile.ZipFile, names: list[str]) -> Detection | None:
    """ODF whose mimetype member is not the first, stored one (some writers compress it or put it later)."""
    if "mimetype" not in names or "content.xml" not in names or archive.getinfo("mimetype").file_size > 100:
        return None
    value = archive.read("mimetype").strip()
    if value.startswith(b"application/vnd.oasis.opendocument.") and value.isascii():
        return Detection(value.decode("ascii"), reason="zip container: ODF mimetype member (not first)")
    return None


def _small_central_directory(path: Path) -> bool:
    """True when the end-of-archive record exists and announces a directory small enough to read."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - _EOCD_SEARCH))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return False
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    directory_size = int.from_bytes(tail[at + 12 : at + 16], "little")
    # 0xFFFF / 0xFFFFFFFF mean "see the ZIP64 record": archives that big are not sniffed through their directory.
    return entries < min(_MAX_SNIFF_ENTRIES, 0xFFFF) and directory_size <= _MAX_SNIFF_DIRECTORY


def _zip_from_local_headers(prefix: bytes) -> Detection:
    if b"[Content_Types].xml" in prefix:
        for folder, mime in _OOXML_FOLDERS:
            if folder.encode() in prefix:
                return Detection(mime, reason=f"zip container read from its local headers: {folder}")
    return Detection("application/zip", reason="zip container read from its local headers")


def _odf_mimetype(prefix: bytes) -> str | None:
    # ODF stores an uncompressed "mimetype" member first, so its value sits at a fixed offset.
    if prefix[30:38] != b"mimetype":
        return None
    name_length = int.from_bytes(prefix[26:28], "little")
    extra_length = int.from_bytes(prefix[28:30], "little")
    size = int.from_bytes(prefix[18:22], "little")
    start = 30 + name_length + extra_length
    value = prefix[start : start + min(size, 100)]
    if not value.startswith(b"application/") or not value.isascii():
        return None
    return value.decode("ascii")


def _ole_container(path: Path, prefix: bytes) -> Detection:
    with path.open("rb") as handle:
        names = set(stream_names(handle))
    if {"EncryptionInfo", "EncryptedPackage"} & names:
        raise EncryptedFileError("the document is password-protected (encrypted Office package)")
    if any(name.startswith(("__substg1.0_", "__properties_version1.0")) for name in names):
        return Detection(MSG, reason="OLE2 container: Outlook message streams")
    for stream, mime in _OLE_STREAMS:
        if stream in names:
            return Detection(mime, reason=f"OLE2 container: {stream} stream")
    description = magic.from_buffer(prefix)
    if "Encrypted" in description:
        raise EncryptedFileError("the document is password-protected (encrypted Office package)")
    mime = magic.from_buffer(prefix, mime=True) or "application/x-ole-storage"
    return Detection(mime, reason=f"OLE2 container; libmagic: {description}")
