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
