"""List the stream names of an OLE2 / Compound File Binary container without reading the whole file.

Legacy Office files, Outlook .msg and *encrypted* OOXML files all share this container; the stream names tell
them apart. Only the header, the FAT sectors it lists and a bounded number of directory sectors are read.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_END_OF_CHAIN = 0xFFFFFFFE
_MAX_REGULAR_SECTOR = 0xFFFFFFFA
_HEADER_DIFAT_ENTRIES = 109
_ENTRY_SIZE = 128
# Enough for thousands of directory entries (a large .msg) while bounding the work on hostile files.
_MAX_DIRECTORY_SECTORS = 512


def stream_names(handle: BinaryIO) -> list[str]:
    """Names of all storages and streams in the container, or [] when the structure cannot be followed."""
    handle.seek(0)
    header = handle.read(512)
    if len(header) < 512 or not header.startswith(CFB_SIGNATURE):
        return []
    shift = struct.unpack_from("<H", header, 0x1E)[0]
    if shift not in (9, 12):
        return []
    sector_size = 1 << shift
    first_directory = struct.unpack_from("<I", header, 0x30)[0]
    difat = struct.unpack_from(f"<{_HEADER_DIFAT_ENTRIES}I", header, 0x4C)
    return _read_directory(handle, sector_size, first_directory, difat)


def _read_directory(handle: BinaryIO, sector_size: int, first: int, difat: tuple[int, ...]) -> list[str]:
    names: list[str] = []
    fat_cache: dict[int, tuple[int, ...]] = {}
    sector = first
    seen: set[int] = set()
    while sector <= _MAX_REGULAR_SECTOR and sector not in seen and len(seen) < _MAX_DIRECTORY_SECTORS:
        seen.add(sector)
        data = _read_sector(handle, sector_size, sector)
        if data is None:
            break
        for offset in range(0, len(data), _ENTRY_SIZE):
            name = _entry_name(data[offset : offset + _ENTRY_SIZE])
            if name:
                names.append(name)
        next_sector = _next_sector(handle, sector_size, difat, fat_cache, sector)
        if next_sector is None or next_sector == _END_OF_CHAIN:
            break
        sector = next_sector
    return names


def _read_sector(handle: BinaryIO, sector_size: int, sector: int) -> bytes | None:
    handle.seek((sector + 1) * sector_size)
    data = handle.read(sector_size)
    return data if len(data) == sector_size else None


def _next_sector(
    handle: BinaryIO, sector_size: int, difat: tuple[int, ...], cache: dict[int, tuple[int, ...]], sector: int
) -> int | None:
    per_fat_sector = sector_size // 4
    fat_index = sector // per_fat_sector
    # Files big enough to need the DIFAT chain beyond the header are not followed: the header's 109 FAT sectors
    # cover the first 7 MB (512-byte sectors) or 457 MB (4 KiB sectors), where directories sit in practice.
    if fat_index >= len(difat) or difat[fat_index] > _MAX_REGULAR_SECTOR:
        return None
    if fat_index not in cache:
        data = _read_sector(handle, sector_size, difat[fat_index])
        if data is None:
            return None
        cache[fat_index] = struct.unpack(f"<{per_fat_sector}I", data)
    return cache[fat_index][sector % per_fat_sector]


def _entry_name(entry: bytes) -> str:
    if len(entry) < _ENTRY_SIZE or entry[0x42] not in (1, 2, 5):  # storage, stream, root
        return ""
    length = struct.unpack_from("<H", entry, 0x40)[0]
    if not 2 <= length <= 64:
        return ""
    return entry[: length - 2].decode("utf-16-le", errors="replace")
