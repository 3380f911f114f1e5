"""Cutting text that is too long for a chunk: at a sentence end, else between words, else between tokens."""

from __future__ import annotations

from webapp.pipeline.chunking.tokenizers import Span, Tokenizer

_SENTENCE_ENDS = ".!?。！？"


def split_text(text: str, tokenizer: Tokenizer, budget: int) -> list[str]:
    """``text`` in pieces of at most ``budget`` tokens each (as the whole text tokenizes), in order, stripped.

    A window is cut at its last sentence end (or line break) in its second half, else at its last word gap, else
    between two tokens: a single word longer than ``budget`` tokens is the only thing cut inside a word.
    """
    budget = max(budget, 1)
    spans = tokenizer.spans(text)
    if len(spans) <= budget:
        return [text.strip()] if text.strip() else []
    pieces = []
    start = 0
    while start < len(spans):
        end = min(start + budget, len(spans))
        if end < len(spans):
            end = _cut(text, spans, start, end)
        stop = spans[end][0] if end < len(spans) else len(text)
        piece = text[spans[start][0] : stop].strip()
        if piece:
            pieces.append(piece)
        start = end
    return pieces


def tail(text: str, tokenizer: Tokenizer, count: int) -> str:
    """The end of ``text`` of at most ``count`` tokens, starting at a word where it can (for overlap)."""
    if count <= 0:
        return ""
    spans = tokenizer.spans(text)
    if len(spans) <= count:
        return text.strip()
    first = len(spans) - count
    for index in range(first, len(spans)):
        if _word_start(text, spans, index):
            return text[spans[index][0] :].strip()
    for index in range(first, len(spans)):
        if spans[index][0] > spans[index - 1][0]:
            return text[spans[index][0] :].strip()
    return ""


def _cut(text: str, spans: list[Span], start: int, end: int) -> int:
    """The token index in (start, end] to cut before; ``end`` itself is the start of the next window."""
    half = start + max(1, (end - start) // 2)
    word_cut = 0
    for index in range(end, start, -1):
        if not _word_start(text, spans, index):
            continue
        if index >= half and _after_sentence(text, spans[index][0]):
            return index
        word_cut = word_cut or index
        if index < half:
            break
    if word_cut:
        return word_cut
    # One "word" longer than the window: cut between tokens, never inside a character that spans several.
    for index in range(end, start, -1):
        if spans[index][0] > spans[index - 1][0]:
            return index
    return end


def _word_start(text: str, spans: list[Span], index: int) -> bool:
    """Whether cutting before token ``index`` falls between words (byte-level BPE tokens carry their space)."""
    position = spans[index][0]
    if position <= spans[index - 1][0]:
        return False
    return text[position - 1].isspace() or text[position].isspace() or position >= spans[index - 1][1] + 1


def _after_sentence(text: str, position: int) -> bool:
    """Whether ``position`` follows a sentence end or a line break (over the whitespace between)."""
    back = position
    while back > 0 and text[back - 1].isspace():
        if text[back - 1] == "\n":
            return True
        back -= 1
    if back < position and back > 0 and text[back - 1] in _SENTENCE_ENDS:
        return True
    # Byte-level tokens start with their space: look past it.
    return text[position].isspace() and position > 0 and text[position - 1] in _SENTENCE_ENDS
