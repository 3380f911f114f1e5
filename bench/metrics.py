"""Quality metrics shared by the benchmarks and the engine tests."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"\w+")


def token_f1(candidate: str, reference: str) -> float:
    """F1 over lower-cased word multisets: order and formatting do not count, missing or extra words do."""
    ours, theirs = Counter(_WORD.findall(candidate.lower())), Counter(_WORD.findall(reference.lower()))
    overlap = sum((ours & theirs).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(ours.values()), overlap / sum(theirs.values())
    return 2 * precision * recall / (precision + recall)


def _heading_key(text: str) -> str:
    # Ground truth escapes Markdown ("FUNCTION\_USAGE") and doubles spaces after section numbers.
    return " ".join(text.replace("\\", "").lower().split())


def heading_f1(candidates: list[str], references: list[str], threshold: float = 0.8) -> dict[str, float]:
    """Precision, recall and F1 of heading texts, levels ignored (docling's ground truth marks every heading ``##``).

    Each reference matches at most one candidate: the same text once normalised, or a token F1 >= ``threshold``
    (a heading whose trailing page number or footnote mark differs still counts).
    """
    remaining = [_heading_key(text) for text in candidates]
    matched = 0
    for reference in (_heading_key(text) for text in references):
        best, best_score = -1, 0.0
        for index, candidate in enumerate(remaining):
            score = 1.0 if candidate == reference else token_f1(candidate, reference)
            if score > best_score:
                best, best_score = index, score
        if best >= 0 and best_score >= threshold:
            matched += 1
            remaining.pop(best)
    precision = matched / len(candidates) if candidates else 0.0
    recall = matched / len(references) if references else 0.0
    f1 = 2 * precision * recall / (precision + recall) if matched else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "found": len(candidates), "truth": len(references)}


def markdown_headings(markdown: str) -> list[str]:
    """The texts of ATX headings (``# ...``) in a Markdown document, outside code fences."""
    headings: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            marks, _, text = line.partition(" ")
            if set(marks) == {"#"} and len(marks) <= 6 and text.strip():
                headings.append(text.strip())
    return headings
