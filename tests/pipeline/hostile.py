"""Hostile and synthetic inputs made in code, in milliseconds: decompression bombs and images of known text."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from webapp.pipeline.sandbox_warmup import pdf_from_objects


def zeros_zlib(total: int, chunk: int = 1 << 20) -> bytes:
    """A zlib stream that inflates to ``total`` zero bytes (a multiple of ``chunk``), built without touching them all.

    After a full flush the compressor starts afresh, so every further chunk of zeros compresses to the same bytes:
    compress two, repeat the second.
    """
    assert total % chunk == 0
    compressor = zlib.compressobj(9)
    zero = bytes(chunk)
    first = compressor.compress(zero) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(zero) + compressor.flush(zlib.Z_FULL_FLUSH)
    # An empty final block, then the Adler-32 of the whole: for N zero bytes a = 1, b = N mod 65521.
    trailer = b"\x03\x00" + struct.pack(">I", ((total % 65521) << 16) | 1)
    return first + repeated * (total // chunk - 1) + trailer


def png_bomb(path: Path, side: int = 30_000) -> Path:
    """A valid 1-bit PNG of ``side`` x ``side`` white-or-black pixels: ~110 KB on disk for 900 megapixels."""
    row = 1 + (side + 7) // 8  # filter byte + packed bits
    data = zeros_zlib(row * side, chunk=row * 16) if side % 16 == 0 else zlib.compress(bytes(row * side))
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b""))
    return path


def pdf_bomb(path: Path, gibibytes: int = 4) -> Path:
    """A one-page PDF whose content stream is FlateDecode'd zeros inflating to ``gibibytes`` GiB (~1 MB per GiB)."""
    stream = zeros_zlib(gibibytes << 30)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    path.write_bytes(pdf_from_objects(objects, b"1.7"))
    return path


def text_image(lines: list[str], mode: str = "L", size: int = 48) -> Image.Image:
    """Black text on white (or, for RGBA, on transparent), big enough for Tesseract to read reliably."""
    font = ImageFont.load_default(size=size)
    width = max(int(font.getlength(line)) for line in lines) + 2 * size
    height = (len(lines) + 1) * int(size * 1.6)
    background = (255, 255, 255, 0) if mode == "RGBA" else "white"
    image = Image.new(mode, (width, height), background)
    draw = ImageDraw.Draw(image)
    ink = (0, 0, 0, 255) if mode == "RGBA" else "black"
    for number, line in enumerate(lines):
        draw.text((size, size // 2 + number * int(size * 1.6)), line, font=font, fill=ink)
    return image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def nested_multipart(depth: int, text: str = "the innermost text") -> bytes:
    """An e-mail whose body is ``depth`` multiparts nested one in the other, a text/plain part at the bottom."""
    head = [b"From: a@example.com\r\nTo: b@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"]
    opens = [
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level) for level in range(depth)
    ]
    leaf = [b"Content-Type: text/plain\r\n\r\n" + text.encode() + b"\r\n"]
    closes = [b"--b%d--\r\n" % level for level in reversed(range(depth))]
    return b"".join(head + opens + leaf + closes)


def nested_tags(tag: str, depth: int, inner: str) -> str:
    """``inner`` wrapped in ``depth`` levels of ``<tag>``: markup past any parser's nesting limit."""
    return f"<{tag}>" * depth + inner + f"</{tag}>" * depth
