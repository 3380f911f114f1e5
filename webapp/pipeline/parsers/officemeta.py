"""Core document properties (docProps/core.xml) of OOXML packages, read directly and safely.

The libraries fill in defaults when the part is missing or empty (openpyxl names itself the author and "now" the
creation date; python-pptx titles every deck "PowerPoint Presentation"), so the part is read here instead.
"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

_CORE = "docProps/core.xml"
_MAX_CORE_BYTES = 1024 * 1024
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_FIELDS = ((f"{_DC}title", "title"), (f"{_DC}creator", "author"), (f"{_DC}subject", "subject"))
_DATES = ((f"{_DCTERMS}created", "created"), (f"{_DCTERMS}modified", "modified"))


def safe_xml_parser() -> etree.XMLParser:
    """No entity expansion, no DTD loading, no network, libxml2's default size limits."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def core_properties(path: Path) -> dict[str, str]:
    """title, author, subject and created/modified (RFC 3339) from an archive that passed ``check_archive``."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.NameToInfo.get(_CORE)
            if info is None or info.file_size > _MAX_CORE_BYTES:
                return {}
            root = etree.fromstring(archive.read(info), safe_xml_parser())
    except (zipfile.BadZipFile, OSError, etree.XMLSyntaxError):
        return {}  # properties are a bonus: the parser reports damage to the content itself
    metadata: dict[str, str] = {}
    for tag, name in _FIELDS:
        value = " ".join(root.findtext(tag, "").split())
        if value:
            metadata[name] = value
    for tag, name in _DATES:
        stamp = w3cdtf_to_rfc3339(root.findtext(tag, ""))
        if stamp:
            metadata[name] = stamp
    return metadata


def w3cdtf_to_rfc3339(value: str) -> str | None:
    """``2024-10-09T12:43:00Z`` (or a bare date, or an offset) as UTC ``2024-10-09T12:43:00Z``."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return rfc3339(moment)


def rfc3339(moment: datetime) -> str:
    """A naive datetime is taken as UTC (W3CDTF and FILETIME values without a zone are)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
