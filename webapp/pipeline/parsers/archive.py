"""Guards for ZIP-based formats (DOCX, XLSX, PPTX, ODF): run before any library opens the archive.

zipfile never inflates a member beyond the size its header declares (it stops and reports a bad CRC instead), so
checking the declared sizes bounds the memory a parser can be made to use. XML parts with a DOCTYPE or entity
declaration are rejected outright: Office never writes them and they are how "billion laughs" bombs start.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from webapp.pipeline.errors import CorruptFileError, LimitExceededError

_MIB = 1024 * 1024
_CHUNK = 64 * 1024
_MARKERS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
_OVERLAP = max(len(marker) for marker in _MARKERS)
_XML_SUFFIXES = (".xml", ".rels", ".vml")


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_members: int = 10_000
    max_total_bytes: int = 500 * _MIB
    max_ratio: int = 100
    # Small members may compress extremely well (a run of empty cells) without being able to hurt anyone.
    ratio_applies_from: int = _MIB


def check_archive(path: Path, limits: ArchiveLimits = ArchiveLimits()) -> None:
    """Raise CorruptFileError or LimitExceededError unless the archive is safe to hand to a parser."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_sizes(members, limits)
            for member in members:
                if member.filename.lower().endswith(_XML_SUFFIXES):
                    _check_xml_member(archive, member)
    except zipfile.BadZipFile as exc:
        raise CorruptFileError(f"the archive is damaged or truncated ({exc})") from None
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise CorruptFileError(f"the archive cannot be read ({exc})") from None


def _check_sizes(members: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    if len(members) > limits.max_members:
        raise LimitExceededError(f"archive has {len(members)} members; at most {limits.max_members} are accepted")
    total = 0
    for member in members:
        total += member.file_size
        if total > limits.max_total_bytes:
            raise LimitExceededError(
                f"archive expands too much: more than {limits.max_total_bytes // _MIB} MiB uncompressed"
            )
        if member.file_size >= limits.ratio_applies_from:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.max_ratio:
                raise LimitExceededError(
                    f"archive expands too much: {member.filename} inflates {ratio:.0f}:1 "
                    f"(at most {limits.max_ratio}:1 accepted)"
                )


def _check_xml_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _MARKERS):
                raise CorruptFileError(
                    f"{member.filename} contains a DOCTYPE or ENTITY declaration, which documents never need"
                )
            tail = window[-_OVERLAP:]
