"""MAPI properties of an Outlook .msg file ([MS-OXMSG]) read with olefile.

Variable-size properties are streams named ``__substg1.0_IIIITTTT`` (property id, type): 001F is UTF-16LE, 001E
8-bit text in the message's code page, 0102 binary. Fixed-size ones (integers, times) are 16-byte entries of the
storage's ``__properties_version1.0`` stream, after a header of 32 bytes (the message), 24 (an embedded message)
or 8 (attachments and recipients).
"""

from __future__ import annotations

import codecs
import struct
from datetime import UTC, datetime, timedelta

import olefile

PT_UNICODE = 0x001F
PT_STRING8 = 0x001E
PT_BINARY = 0x0102
PT_LONG = 0x0003
PT_SYSTIME = 0x0040
# Body text beyond this is not read: a message is not a way to ship a 100 MB text file.
MAX_STREAM_BYTES = 32 * 1024 * 1024
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_CODE_PAGES = {65001: "utf-8", 20127: "ascii", 1200: "utf-16-le", 1201: "utf-16-be", 28591: "latin-1"}
_CODE_PAGES.update({20936: "gb2312", 54936: "gb18030", 50220: "iso2022_jp", 51932: "euc_jp", 51949: "euc_kr"})
PR_MESSAGE_CODEPAGE = 0x3FFD
PR_INTERNET_CPID = 0x3FDE


class MapiStorage:
    """The properties of one storage: the message itself, a recipient or an attachment."""

    def __init__(self, ole: olefile.OleFileIO, path: str = "", header_size: int = 32, codec: str = "cp1252") -> None:
        self.ole = ole
        self.prefix = f"{path}/" if path else ""
        self.codec = codec
        self._fixed = self._read_fixed(header_size)

    def _read_fixed(self, header_size: int) -> dict[int, tuple[int, bytes]]:
        data = self._stream("__properties_version1.0") or b""
        properties: dict[int, tuple[int, bytes]] = {}
        for offset in range(header_size, len(data) - 15, 16):
            tag = struct.unpack_from("<I", data, offset)[0]
            properties[tag >> 16] = (tag & 0xFFFF, data[offset + 8 : offset + 16])
        return properties

    def _stream(self, name: str, limit: int = MAX_STREAM_BYTES) -> bytes | None:
        path = self.prefix + name
        if not self.ole.exists(path):
            return None
        with self.ole.openstream(path) as stream:
            return stream.read(limit)

    def text(self, prop: int) -> str:
        """A string property (Unicode or 8-bit), NULs and surrounding space removed; "" when absent."""
        data = self._stream(f"__substg1.0_{prop:04X}{PT_UNICODE:04X}")
        if data is not None:
            text = data.decode("utf-16-le", errors="replace")
        else:
            data = self._stream(f"__substg1.0_{prop:04X}{PT_STRING8:04X}")
            text = data.decode(self.codec, errors="replace") if data is not None else ""
        return text.replace("\x00", "").strip()

    def binary(self, prop: int) -> bytes | None:
        return self._stream(f"__substg1.0_{prop:04X}{PT_BINARY:04X}")

    def binary_size(self, prop: int) -> int | None:
        path = f"{self.prefix}__substg1.0_{prop:04X}{PT_BINARY:04X}"
        return self.ole.get_size(path) if self.ole.exists(path) else None

    def long(self, prop: int) -> int | None:
        entry = self._fixed.get(prop)
        if entry is None or entry[0] != PT_LONG:
            return None
        return struct.unpack_from("<I", entry[1])[0]

    def time(self, prop: int) -> datetime | None:
        entry = self._fixed.get(prop)
        if entry is None or entry[0] != PT_SYSTIME:
            return None
        ticks = struct.unpack_from("<Q", entry[1])[0]
        if not ticks:
            return None
        try:
            return _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
        except OverflowError:
            return None

    def substorages(self, kind: str) -> list[str]:
        """Paths of the storages named ``__recip_version1.0_#N`` or ``__attach_version1.0_#N`` directly below."""
        parts = [part for part in self.prefix.split("/") if part]
        depth = len(parts)
        found = {
            "/".join([*parts, entry[depth]])
            for entry in self.ole.listdir(streams=True, storages=True)
            if len(entry) > depth and entry[:depth] == parts and entry[depth].lower().startswith(kind)
        }
        return sorted(found)


def message_codec(storage: MapiStorage) -> str:
    """The codec 8-bit strings are in: the message code page, else the internet code page, else Windows-1252."""
    for prop in (PR_MESSAGE_CODEPAGE, PR_INTERNET_CPID):
        codec = codec_for(storage.long(prop))
        if codec:
            return codec
    return "cp1252"


def codec_for(code_page: int | None) -> str | None:
    if not code_page:
        return None
    name = _CODE_PAGES.get(code_page, f"cp{code_page}")
    if 28592 <= code_page <= 28606:
        name = f"iso8859_{code_page - 28590}"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None
