"""Language detection without models or downloads: Unicode script first, then stopwords, letters and trigrams.

Long text is cut into ~200-word windows; each window is split by script and every part gets a language. The
document's language is the one holding the largest share of the analysed text, and ``mixed`` says a second language
holds at least 20% of it (Korean with English paragraphs, a bilingual contract ...).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from typing import Any

from webapp.pipeline.enrich import wordlists

# Scripts used by one language in practice, and the families the word-list profiles below resolve. "cjk" is split later.
_SCRIPT_RANGES = [
    (0x0041, 0x024F, "latin"),
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x0900, 0x097F, "hi"),
    (0x0980, 0x09FF, "bn"),
    (0x0A00, 0x0A7F, "pa"),
    (0x0A80, 0x0AFF, "gu"),
    (0x0B00, 0x0B7F, "or"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0C00, 0x0C7F, "te"),
    (0x0C80, 0x0CFF, "kn"),
    (0x0D00, 0x0D7F, "ml"),
    (0x0D80, 0x0DFF, "si"),
    (0x0E00, 0x0E7F, "th"),
    (0x0E80, 0x0EFF, "lo"),
    (0x1000, 0x109F, "my"),
    (0x10A0, 0x10FF, "ka"),
    (0x1100, 0x11FF, "cjk"),
    (0x1200, 0x139F, "am"),
    (0x1780, 0x17FF, "km"),
    (0x1C90, 0x1CBF, "ka"),
    (0x1E00, 0x1EFF, "latin"),
    (0x1F00, 0x1FFF, "el"),
    (0x2E80, 0x9FFF, "cjk"),
    (0xA960, 0xA97F, "cjk"),
    (0xAC00, 0xD7FF, "cjk"),
    (0xF900, 0xFAFF, "cjk"),
    (0xFB1D, 0xFB4F, "he"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
    (0xFF66, 0xFFDC, "cjk"),
    (0x20000, 0x2FA1F, "cjk"),
]
_RANGE_STARTS = [start for start, _, _ in _SCRIPT_RANGES]
# Scripts shared by several languages we do not tell apart (Devanagari: hi/mr/ne, Hebrew: he/yi ...).
_SCRIPT_CONFIDENCE = {"hi": 0.85, "bn": 0.9, "he": 0.95, "pa": 0.95}

# A letter run, keeping combining marks (Indic vowel signs, Arabic and Hebrew points) inside the word.
_WORD = re.compile(
    r"(?:[^\W\d_]|[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    r"\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff])+"
)
# URLs and e-mail addresses look like words ("com", "www") but carry no language. The e-mail pattern is only run
# when there is an "@": it tries a match at every letter, which is slow on long unspaced text.
_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]+")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\uffa0-\uffdc]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")

# Roughly how many Latin letters one character stands for, so that shares compare like with like.
_UNITS = {"ko": 2.0, "ja": 2.5, "zh": 3.0}
_CHUNK_CHARS = 1200  # about 200 words of European text
_MAX_CHUNKS = 16  # ~19k characters analysed at most, whatever the length of the text
_MIN_UNITS = 20  # less than this (a few words) says nothing about a language
_MIN_WORDS = 3  # nor do one or two words, however long (a hash, a run of letters)
_MIXED_SHARE = 0.2
_LETTER_WEIGHT = 0.3
_TRIGRAM_WEIGHT = 0.1
_NOISE_PER_WORD = 0.07
_FULL_PER_WORD = 0.2
# Stopwords alone settle most prose; trigrams (the slow part) are for short, list-like or closely related text.
_CONCLUSIVE = 0.8

Owners = tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class _Profile:
    codes: tuple[str, ...]
    words: dict[str, Owners]
    trigrams: dict[str, Owners]
    letters: dict[str, Owners]


def _trigrams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def _owners(codes: tuple[str, ...], items: dict[str, set[str]]) -> dict[str, Owners]:
    langs: dict[str, list[int]] = {}
    for index, code in enumerate(codes):
        for item in sorted(items.get(code, ())):
            langs.setdefault(item, []).append(index)
    return {item: tuple((index, 1.0 / len(owners)) for index in owners) for item, owners in langs.items()}


def _profile(words: dict[str, str], letters: dict[str, str]) -> _Profile:
    codes = tuple(sorted(words))
    word_sets = {code: set(unicodedata.normalize("NFC", text).split()) for code, text in words.items()}
    trigram_sets = {code: {tri for word in found for tri in _trigrams(word)} for code, found in word_sets.items()}
    for code in codes:
        for suffix in wordlists.SUFFIXES.get(code, "").split():
            trigram_sets[code].update(tri for tri in _trigrams(suffix) if not tri.startswith(" "))
    letter_sets = {code: set(unicodedata.normalize("NFC", text)) for code, text in letters.items()}
    return _Profile(codes, _owners(codes, word_sets), _owners(codes, trigram_sets), _owners(codes, letter_sets))


_PROFILES = {
    "latin": _profile(wordlists.LATIN_WORDS, wordlists.LATIN_LETTERS),
    "cyrillic": _profile(wordlists.CYRILLIC_WORDS, wordlists.CYRILLIC_LETTERS),
    "arabic": _profile(wordlists.ARABIC_WORDS, wordlists.ARABIC_LETTERS),
}


def detect_language(text: str) -> dict[str, Any]:
    """Return the main language (ISO 639-1), a 0-1 confidence, whether the text mixes languages, and the top three."""
    units: dict[str, float] = {}
    weighted_confidence: dict[str, float] = {}
    for chunk in _chunks(text):
        for code, amount, confidence in _analyse(chunk):
            units[code] = units.get(code, 0.0) + amount
            weighted_confidence[code] = weighted_confidence.get(code, 0.0) + amount * confidence
    total = sum(units.values())
    if total < _MIN_UNITS:
        return {"code": None, "confidence": 0.0, "mixed": False, "candidates": []}
    ranked = sorted(units, key=lambda code: (-units[code], code))
    top = ranked[0]
    shares = [units[code] / total for code in ranked]
    confidence = shares[0] * weighted_confidence[top] / units[top]
    return {
        "code": top,
        "confidence": round(confidence, 3),
        "mixed": len(shares) > 1 and shares[1] >= _MIXED_SHARE,
        "candidates": [{"code": code, "share": round(units[code] / total, 3)} for code in ranked[:3]],
    }


def _chunks(text: str) -> list[str]:
    """Consecutive windows for short text; evenly spaced windows for long text, so the cost has a ceiling."""
    length = len(text)
    if length <= _CHUNK_CHARS * _MAX_CHUNKS:
        count = max(1, round(length / _CHUNK_CHARS))
        step = length / count
        return [text[round(i * step) : round((i + 1) * step)] for i in range(count)]
    stride = (length - _CHUNK_CHARS) / (_MAX_CHUNKS - 1)
    return [text[round(i * stride) : round(i * stride) + _CHUNK_CHARS] for i in range(_MAX_CHUNKS)]


def _script_of(char: str) -> str | None:
    point = ord(char)
    index = bisect_right(_RANGE_STARTS, point) - 1
    if index >= 0 and point <= _SCRIPT_RANGES[index][1]:
        return _SCRIPT_RANGES[index][2]
    return None


def _analyse(chunk: str) -> list[tuple[str, float, float]]:
    """Split one window by script and name each part's language: (code, size in units, confidence)."""
    chunk = _URL.sub(" ", unicodedata.normalize("NFC", chunk)).lower()
    if "@" in chunk:
        chunk = _EMAIL.sub(" ", chunk)
    by_script: dict[str, list[str]] = {}
    for word in _WORD.findall(chunk):
        # Letters below U+0250 are all Latin: skip the table lookup for the common case.
        script = "latin" if word[0] < "\u0250" else _script_of(word[0])
        if script is not None:
            by_script.setdefault(script, []).append(word)
    parts: list[tuple[str, float, float]] = []
    for script in sorted(by_script):
        words = by_script[script]
        if script == "cjk":
            parts.extend(_cjk("".join(words)))
            continue
        size = float(sum(map(len, words)))
        profile = _PROFILES.get(script)
        if profile is None:
            parts.append((script, size, _SCRIPT_CONFIDENCE.get(script, 1.0)))
            continue
        if script == "latin":
            # One-letter ASCII tokens are mostly formula variables and list markers; they would vote for Spanish "y".
            words = [word for word in words if len(word) > 1 or not word.isascii()]
        if len(words) < _MIN_WORDS:
            continue
        code, confidence = _classify(profile, words)
        if code is not None:
            parts.append((code, size, confidence))
    if not parts:
        return []
    # Stray fragments (a Latin product name in Korean text, π in an English formula) are not a second language.
    largest = max(size for _, size, _ in parts)
    return [part for part in parts if part[1] >= _MIN_UNITS or part[1] == largest]


def _cjk(text: str) -> list[tuple[str, float, float]]:
    hangul, kana, han = (len(pattern.findall(text)) for pattern in (_HANGUL, _KANA, _HAN))
    parts = []
    # Japanese puts kana in nearly every sentence; Chinese text has none, Korean uses Han only as occasional hanja.
    if kana and kana >= 0.1 * (kana + han):
        parts.append(("ja", (kana + han) * _UNITS["ja"], 1.0))
        han = 0
    elif hangul > han:
        hangul, han = hangul + han, 0
    if hangul:
        parts.append(("ko", hangul * _UNITS["ko"], 1.0))
    if han:
        parts.append(("zh", han * _UNITS["zh"], 0.9))
    return parts


def _classify(profile: _Profile, words: list[str]) -> tuple[str | None, float]:
    """Score stopwords and distinctive letters; add trigrams of the other words only when that is not conclusive."""
    scores = [0.0] * len(profile.codes)
    others: list[tuple[str, int]] = []
    for word, count in sorted(Counter(words).items()):
        owners = profile.words.get(word)
        if owners is None:
            others.append((word, count))
            continue
        for index, weight in owners:
            scores[index] += count * weight
    for letter, count in sorted(Counter("".join(words)).items()):
        for index, weight in profile.letters.get(letter, ()):
            scores[index] += _LETTER_WEIGHT * count * weight
    code, confidence = _verdict(profile, scores, len(words))
    if confidence >= _CONCLUSIVE:
        return code, confidence
    for word, count in others:
        for trigram in _trigrams(word):
            for index, weight in profile.trigrams.get(trigram, ()):
                scores[index] += _TRIGRAM_WEIGHT * count * weight
    return _verdict(profile, scores, len(words))


def _verdict(profile: _Profile, scores: list[float], word_count: int) -> tuple[str | None, float]:
    ranked = sorted(range(len(scores)), key=lambda index: (-scores[index], profile.codes[index]))
    best, second = scores[ranked[0]], scores[ranked[1]]
    # Text in a supported language scores >= 0.18 per word, names, code and unsupported languages <= 0.06.
    support = min(1.0, (best / word_count - _NOISE_PER_WORD) / _FULL_PER_WORD)
    if support <= 0.0:
        return None, 0.0
    return profile.codes[ranked[0]], round(support * (1.0 - 0.5 * second / best), 3)
