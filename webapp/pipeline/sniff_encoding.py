"""Guess the text encoding of a byte prefix, or decide that it is not text at all.

Order: byte-order marks, UTF-16/32 without a BOM (zero-byte patterns), strict UTF-8, Western cp1252 (the most
common legacy encoding, which statistical detectors often mistake for Baltic or Central European code pages), then
charset-normalizer for everything else. Names returned are Python codec names.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters that never appear in real text files (tab, LF, VT, FF, CR and ESC excluded).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_WESTERN_PUNCTUATION = set("\u00a0€‚ƒ„…†‡ˆ‰‹‘’“”•–—˜™›«»°±²³µ·¹º¼½¾¿¡§¶©®¬£¥¢×÷ª")
_WORD = re.compile(r"\w+")
_WEDGED_SYMBOL = re.compile(r"[^\W\d_][\u00a1-\u00bf][^\W\d_]")
_SAMPLE = 16384


def detect_encoding(prefix: bytes) -> str | None:
    """The codec the prefix decodes with, or None when the bytes look binary."""
    for bom, name in _BOMS:
        if prefix.startswith(bom):
            return name
    utf16 = _utf16_without_bom(prefix)
    if utf16:
        return utf16
    if b"\x00" in prefix:
        return None
    if _decodes(prefix, "utf-8"):
        return _unless_binary(prefix.decode("utf-8", errors="ignore"), "utf-8")
    try:
        western = prefix.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and _looks_western(western):
        return _unless_binary(western, "cp1252")
    name = _statistical_guess(prefix[:_SAMPLE])
    if name is None:
        return None
    return _unless_binary(prefix.decode(name, errors="replace"), name)


def _statistical_guess(sample: bytes) -> str | None:
    results = list(charset_normalizer.from_bytes(sample))
    if not results:
        return None
    best = results[0]
    # On short samples Mac code pages tie with the Windows ones they mirror; files in them are rare today.
    for candidate in results:
        if not candidate.encoding.startswith("mac") and candidate.chaos <= best.chaos + 0.02:
            best = candidate
            break
    return codecs.lookup(best.encoding).name


def _decodes(prefix: bytes, encoding: str) -> bool:
    # Incremental with final=False: a multi-byte character cut off at the end of the prefix is not an error.
    try:
        codecs.getincrementaldecoder(encoding)().decode(prefix, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_without_bom(prefix: bytes) -> str | None:
    sample = prefix[:4096]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 8:
        return None
    half = len(sample) // 2
    even_zeros = sample[0::2].count(0) / half
    odd_zeros = sample[1::2].count(0) / half
    # Mostly-ASCII text in UTF-16 has a zero in every other byte; real binary data is not that regular.
    if odd_zeros > 0.4 and even_zeros < 0.05:
        candidate = "utf-16-le"
    elif even_zeros > 0.4 and odd_zeros < 0.05:
        candidate = "utf-16-be"
    else:
        return None
    return candidate if _decodes(sample, candidate) else None


def _unless_binary(text: str, encoding: str) -> str | None:
    sample = text[:_SAMPLE]
    if sample and len(_CONTROL.findall(sample)) > len(sample) * 0.01:
        return None
    return encoding


def _looks_western(text: str) -> bool:
    """True when non-ASCII characters read as accented letters inside mostly-ASCII words, or Western punctuation.

    Cyrillic or Greek single-byte text decoded as cp1252 also yields letters (ï, ð, è ...), but whole words of
    them; Western languages put one or two accented letters into otherwise ASCII words.
    """
    sample = text[:_SAMPLE]
    for char in sample:
        if ord(char) > 0x7F and not (char.isalpha() and ord(char) < 0x180) and char not in _WESTERN_PUNCTUATION:
            return False
    # Symbols wedged between letters ("³ódŸ", "¿ó³w") are Central European letters read with the wrong table.
    if _WEDGED_SYMBOL.search(sample):
        return False
    accented = total = 0
    for word in _WORD.findall(sample):
        if not word.isascii():
            accented += sum(1 for char in word if ord(char) > 0x7F)
            total += len(word)
    return total == 0 or accented / total <= 0.5
