"""An explained quality score for an extraction: start at 1, subtract a penalty per problem found, say why each time.

Inputs are the parser's signals (pages, empty pages, encoding repairs, OCR confidence) and what the text itself shows
(unreadable characters, mojibake, tokens that are not words). Long text is measured on evenly spaced windows, so the
cost has a ceiling whatever the document's size.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

from webapp.pipeline.document import ParsedDocument

# 32 windows of 1,000 characters: shares measured on 32k characters are stable, and the regexes stay under ~5 ms.
_SAMPLE_CHARS = 32_000
_WINDOWS = 32

# UTF-8 read as cp1252 or Latin-1: a lead byte shown as Â..ß / à..ï / ð followed by continuation bytes shown as
# C1 controls, Latin-1 symbols or cp1252 punctuation ("Ã©" for é, "â€™" for ’, "â\x80\x93" for –, "Ð¿" for п).
_CONT = r"[\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]"
_MOJIBAKE = re.compile(f"[Â-ß]{_CONT}|[à-ï]{_CONT}{{2}}|ð{_CONT}{{3}}")
_CID = re.compile(r"\(cid:\d+\)")
# U+FFFD, control characters other than whitespace (form feed is a page break), private-use glyphs.
_BAD_CHAR = re.compile(r"[\ufffd\x00-\x08\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\U000f0000-\U0010ffff]")
_SYMBOL_RUN = re.compile(r"[^\w\s]{10,}")

# Token patterns are anchored at whitespace and never backtrack within a token, so a 100 kB "word" costs O(n).
_LETTER = r"[^\W\d_]"
_OPEN = "\"'“”‘’«»„([{¿¡*_"
_CLOSE = "\"'“”‘’«»)\\]}.,;:!?…*_%"
_WORDLIKE = re.compile(rf"(?<!\S)[{_OPEN}]*{_LETTER}(?:[-'’.·]?{_LETTER}){{1,19}}[{_CLOSE}]*(?!\S)")
# Judged tokens: letters, no digits. Codes ("R2", "col-3", "10-K") and one-letter tokens (variables, "a)") are
# neither words nor garbage, so they are left out of the share.
_NO_DIGIT_LETTERED = re.compile(rf"(?<!\S)(?=[^\s\d]*?{_LETTER})[^\s\d]++(?!\S)")
_ONE_LETTER = re.compile(rf"(?<!\S)[{_OPEN}]*{_LETTER}[{_CLOSE}]*(?!\S)")
# Scripts written without spaces (Chinese, Japanese, Thai ...) or with combining vowel signs that Python does not
# count as letters (Indic): their tokens are not judged by this test.
_UNJUDGED = re.compile(
    r"(?<!\S)\S*?[\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]\S*+"
)


@dataclass(slots=True)
class _TextFacts:
    unreadable: int
    unreadable_kinds: list[str]
    mojibake: int
    mojibake_sequences: int
    mojibake_example: str
    judged_tokens: int
    wordlike_tokens: int
    size: int


def assess_quality(document: ParsedDocument, text: str) -> dict[str, Any]:
    """Score the extraction 0-1, with the signals it is built from and a warning for every penalty."""
    signals: dict[str, Any] = dict(document.signals)
    warnings = list(document.warnings)
    pages = _pages(document)
    empty_pages = _empty_pages(document, pages)
    chars = len(text)
    signals.setdefault("chars", chars)
    signals.setdefault("words", _word_count(document, text))
    signals.setdefault("empty_page_share", round(empty_pages / pages, 4) if pages and empty_pages is not None else None)
    signals.setdefault("chars_per_page", round(chars / pages, 1) if pages else None)
    signals.setdefault("encoding_repairs", 0)
    if not text.strip():
        signals.update({"unreadable_share": 0.0, "mojibake_share": 0.0, "dictionary_share": None, "sampled": False})
        warnings.append("no text extracted")
        return {"score": 0.0, "signals": signals, "warnings": _unique(warnings)}

    facts = _text_facts(text)
    # Too few tokens (a title, a table of numbers) say nothing about whether the words are real.
    dictionary_share = facts.wordlike_tokens / facts.judged_tokens if facts.judged_tokens >= 20 else None
    signals.update(
        {
            "unreadable_share": round(facts.unreadable / facts.size, 4),
            "mojibake_share": round(facts.mojibake / facts.size, 4),
            "dictionary_share": None if dictionary_share is None else round(dictionary_share, 4),
            "sampled": chars > _SAMPLE_CHARS,
        }
    )

    penalties = [
        _page_penalty(pages, empty_pages, signals["chars_per_page"]),
        _unreadable_penalty(facts),
        _mojibake_penalty(facts),
        _dictionary_penalty(dictionary_share),
        _repair_penalty(signals["encoding_repairs"], chars, "\ufffd" in text),
        _ocr_penalty(signals.get("ocr_confidence")),
    ]
    total = 0.0
    for penalty, messages in penalties:
        total += penalty
        warnings.extend(messages)
    return {"score": round(max(0.0, 1.0 - total), 3), "signals": signals, "warnings": _unique(warnings)}


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _pages(document: ParsedDocument) -> int | None:
    pages = document.signals.get("pages", document.metadata.get("page_count"))
    return pages if isinstance(pages, int) and not isinstance(pages, bool) and pages > 0 else None


def _empty_pages(document: ParsedDocument, pages: int | None) -> int | None:
    """The parser's count; else derived from element pages, but only when every element with text has one."""
    empty = document.signals.get("empty_pages")
    if isinstance(empty, int) and not isinstance(empty, bool):
        return max(0, min(empty, pages)) if pages else None
    texts = [element for element in document.elements if element.text.strip()]
    if not pages or not texts or any(element.page is None for element in texts):
        return None
    with_text = {element.page for element in texts if element.page is not None and 1 <= element.page <= pages}
    return pages - len(with_text)


def _word_count(document: ParsedDocument, text: str) -> int:
    # The enrich stage has already counted (splitting 3 MB costs ~30 ms); otherwise count, or estimate when long.
    counted = document.metadata.get("word_count")
    if isinstance(counted, int) and not isinstance(counted, bool):
        return counted
    if len(text) <= _SAMPLE_CHARS:
        return len(text.split())
    sample = _sample(text)
    return round(len(sample.split()) * len(text) / len(sample))


def _sample(text: str) -> str:
    if len(text) <= _SAMPLE_CHARS:
        return text
    width = _SAMPLE_CHARS // _WINDOWS
    stride = (len(text) - width) / (_WINDOWS - 1)
    return "\n".join(text[round(i * stride) : round(i * stride) + width] for i in range(_WINDOWS))


def _text_facts(text: str) -> _TextFacts:
    # NFC first: decomposed accents (e + U+0301, common in PDFs) would otherwise split words.
    sample = unicodedata.normalize("NFC", _sample(text))
    found = _MOJIBAKE.findall(sample)
    rest = _MOJIBAKE.sub(" ", sample)
    cids = sum(map(len, _CID.findall(rest)))
    rest = _CID.sub(" ", rest)
    bad = Counter(_BAD_CHAR.findall(rest))
    junk = sum(len(run) for run in _SYMBOL_RUN.findall(rest) if len(set(run)) >= 4)
    private = sum(count for char, count in bad.items() if "\ue000" <= char <= "\uf8ff" or char > "\uffff")
    kinds = [
        name
        for name, count in (
            ("U+FFFD replacement characters", bad["\ufffd"]),
            ("control characters", sum(count for char, count in bad.items() if char < "\xa0")),
            ("private-use glyphs", private),
            ("(cid:NN) font codes", cids),
            ("runs of symbols", junk),
        )
        if count
    ]
    judged = _UNJUDGED.sub(" ", sample)
    return _TextFacts(
        unreadable=sum(bad.values()) + junk + cids,
        unreadable_kinds=kinds,
        mojibake=sum(map(len, found)),
        mojibake_sequences=len(found),
        mojibake_example=Counter(found).most_common(1)[0][0] if found else "",
        judged_tokens=len(_NO_DIGIT_LETTERED.findall(judged)) - len(_ONE_LETTER.findall(judged)),
        wordlike_tokens=len(_WORDLIKE.findall(judged)),
        size=max(1, len(sample)),
    )


Penalty = tuple[float, list[str]]


def _page_penalty(pages: int | None, empty_pages: int | None, chars_per_page: float | None) -> Penalty:
    if pages and empty_pages and empty_pages / pages >= 0.1:
        share = empty_pages / pages
        verb = "has" if empty_pages == 1 else "have"
        hint = " — a scan without OCR?" if share >= 0.5 else ""
        return 0.8 * share, [f"{empty_pages} of {pages} pages {verb} no text{hint}"]
    # Slides and forms can be sparse; under 100 characters a page is a caption, a page number or nothing.
    if pages and pages >= 2 and chars_per_page is not None and chars_per_page < 100:
        return 0.5 * (1 - chars_per_page / 100), [
            f"very little text for a {pages}-page document ({chars_per_page:.0f} characters per page)"
        ]
    return 0.0, []


def _unreadable_penalty(facts: _TextFacts) -> Penalty:
    share = facts.unreadable / facts.size
    if share < 0.005:
        return 0.0, []
    detail = f" ({', '.join(facts.unreadable_kinds)})" if facts.unreadable_kinds else ""
    return min(1.0, 5 * share), [f"{share:.1%} of characters are unreadable{detail}"]


def _mojibake_penalty(facts: _TextFacts) -> Penalty:
    share = facts.mojibake / facts.size
    if facts.mojibake_sequences < 3 or share < 0.001:
        return 0.0, []
    example = "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in facts.mojibake_example)
    # A wrong encoding breaks every non-ASCII character, so even a small share means systematic damage.
    return min(1.0, 0.15 + 3 * share), [
        f"text looks garbled (mojibake such as '{example}', {share:.1%} of characters) — read with the wrong encoding?"
    ]


def _dictionary_penalty(share: float | None) -> Penalty:
    if share is None or share >= 0.7:
        return 0.0, []
    return min(0.6, 1.5 * (0.7 - share)), [
        f"only {share:.0%} of words look like real words — garbled text, or mostly codes and numbers?"
    ]


def _repair_penalty(repairs: Any, chars: int, replacements_in_text: bool) -> Penalty:
    if not isinstance(repairs, int) or isinstance(repairs, bool) or repairs <= 0:
        return 0.0, []
    message = (
        f"{repairs} undecodable byte was replaced" if repairs == 1 else f"{repairs} undecodable bytes were replaced"
    )
    # Replaced bytes usually show up as U+FFFD, which the unreadable-characters penalty already counts.
    if replacements_in_text:
        return 0.0, [message]
    return min(0.3, 5 * repairs / max(1, chars)), [message]


def _ocr_penalty(confidence: Any) -> Penalty:
    if not isinstance(confidence, int | float) or isinstance(confidence, bool):
        return 0.0, []
    # Documented as 0-100; a 0-1 value would otherwise read as a catastrophic score.
    value = confidence * 100 if 0 < confidence <= 1 else float(confidence)
    if value >= 85:
        return 0.0, []
    return min(0.6, 1.5 * (85 - value) / 100), [f"OCR confidence is low ({value:.0f}/100) — expect misread words"]
