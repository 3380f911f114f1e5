"""Turn one page of PDFium's text (lines in reading order, no layout) into paragraphs and list items.

Only the text is looked at, never glyph positions: that keeps extraction at PDFium's own speed. A paragraph ends
at a blank line, or after a line that is clearly shorter than the page's full lines and ends a sentence (or is
followed by a capitalised line). Lines inside a paragraph are joined with spaces.

OCR output comes with its own paragraphs (Tesseract's layout analysis); ``ocr_blocks`` only joins their lines and
picks out list items.
"""

from __future__ import annotations

import re
import unicodedata

# PDFium marks a hyphen it removed at a line end with U+FFFE and joins the word halves itself.
_SOFT_HYPHEN = "\ufffe"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufeff\uffff]")
_BULLET = re.compile(r"^([•◦▪▫■□●○‣⁃∙·*\-–])\s+(\S.*)$")
# LaTeX PDFs often carry accents as separate spacing glyphs: "Sup ´ erieure" -> "Supérieure".
SPACING_ACCENT = re.compile(r"[ ]?([´`ˆ˜¨˚¸ˇ˘˝])[ ]?([A-Za-z])")
_COMBINING = {"´": "\u0301", "`": "\u0300", "ˆ": "\u0302", "˜": "\u0303", "¨": "\u0308", "˚": "\u030a"}
_COMBINING.update({"¸": "\u0327", "ˇ": "\u030c", "˘": "\u0306", "˝": "\u030b"})
# A line ending in a hyphen after two letters, with no other hyphen in its last word: "para-", not "state-of-the-".
_BROKEN_WORD = re.compile(r"(?:^|[\s(\"“‘])[^\W\d_]*[^\W\d_]{2}-$")
_SENTENCE_END = (".", "!", "?", ":", ";", '"', "”", "’", ")")


def clean_page_text(raw: str) -> str:
    text = raw.replace(_SOFT_HYPHEN, "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if "\u00b4" in text or "\u02c6" in text or "\u00a8" in text or "`" in text or "\u02dc" in text:
        text = SPACING_ACCENT.sub(compose_accent, text)
    return text


def page_blocks(text: str) -> list[tuple[str, str]]:
    """(element type, text) pairs for one page's cleaned text."""
    lines = [line.strip() for line in text.split("\n")]
    full = _full_line_length(lines)
    blocks: list[tuple[str, str]] = []
    current: list[str] = []
    kind = "paragraph"
    for index, line in enumerate(lines):
        if not line:
            _close(blocks, kind, current)
            current, kind = [], "paragraph"
            continue
        bullet = _BULLET.match(line)
        if bullet:
            _close(blocks, kind, current)
            current, kind = [bullet.group(2)], "list_item"
        else:
            current.append(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _ends_block(line, following, full):
            _close(blocks, kind, current)
            current, kind = [], "paragraph"
    _close(blocks, kind, current)
    return blocks


def ocr_blocks(paragraphs: list[list[str]]) -> list[tuple[str, str]]:
    """(element type, text) pairs for OCR paragraphs given as lists of lines; a bulleted line starts a list item.

    Unlike PDFium, OCR cannot tell a word broken at the line end from a compound: "para-" + "graph" is taken for
    a broken word (far more common in print), "state-of-the-" + "art" keeps its hyphens.
    """
    blocks: list[tuple[str, str]] = []
    for lines in paragraphs:
        current: list[str] = []
        kind = "paragraph"
        for line in lines:
            bullet = _BULLET.match(line)
            if bullet:
                _close_ocr(blocks, kind, current)
                current, kind = [bullet.group(2)], "list_item"
            else:
                current.append(line)
        _close_ocr(blocks, kind, current)
    return blocks


def _close_ocr(blocks: list[tuple[str, str]], kind: str, lines: list[str]) -> None:
    if not lines:
        return
    text = lines[0]
    for line in lines[1:]:
        if _BROKEN_WORD.search(text) and line[:1].islower():
            text = text[:-1] + line
        elif text.endswith("-") and line[:1].islower():
            text = text + line
        else:
            text = text + " " + line
    blocks.append((kind, text))


def compose_accent(match: re.Match[str]) -> str:
    combining = _COMBINING.get(match.group(1))
    if combining is None:
        return match.group(0)
    return unicodedata.normalize("NFC", match.group(2) + combining)


def _full_line_length(lines: list[str]) -> int:
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return 0
    return lengths[int(len(lengths) * 0.8)] if len(lengths) > 4 else lengths[-1]


def _ends_block(line: str, following: str, full: int) -> bool:
    if not following:
        return False  # a blank line or the page end closes the block anyway
    if len(line) >= 0.8 * full:
        return False
    if line.endswith(_SENTENCE_END):
        return True
    # A short line followed by a capitalised one: a title, an author line, a table row.
    return len(line) < 0.5 * full and (following[0].isupper() or following[0].isdigit())


def _close(blocks: list[tuple[str, str]], kind: str, lines: list[str]) -> None:
    if not lines:
        return
    text = lines[0]
    for line in lines[1:]:
        # A hyphen PDFium left at a line end is a real one ("state-\nof-the-art"): keep it, add no space.
        text = text + line if text.endswith("-") and line[:1].islower() else text + " " + line
    blocks.append((kind, text))
