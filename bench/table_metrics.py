"""Table-cell F1: how many of the ground truth's table cells a tool returned as table cells.

Cells compare by their words (lower-cased, Markdown link targets and tags dropped); a cell matches the same words,
or else a cell with token F1 >= 0.8 of similar length. Shared by bench/html_tables.py and bench/layout.py.
"""

from __future__ import annotations

import re
from collections import Counter

Grid = list[list[str]]
_WORD = re.compile(r"\w+")
# ](target) or ](<target> "title"): the target is not text the reader sees.
_LINK_TARGET = re.compile(r"\]\((?:<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"]*\")?\)")
_TAG = re.compile(r"<[^>]*>")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_SEPARATOR_CELL = re.compile(r"^\s*:?-+:?\s*$")


def cell_words(text: str) -> list[str]:
    text = _TAG.sub(" ", _LINK_TARGET.sub("]", text))
    return _WORD.findall(text.lower().replace("_", " "))


def markdown_tables(markdown: str) -> list[Grid]:
    """GitHub-style pipe tables: runs of lines starting with ``|``; separator rows dropped."""
    tables: list[Grid] = []
    current: Grid = []
    for line in [*markdown.splitlines(), ""]:
        stripped = line.strip()
        if not stripped.startswith("|"):
            if current:
                tables.append(current)
            current = []
            continue
        cells = _CELL_SPLIT.split(stripped.strip("|"))
        if not all(_SEPARATOR_CELL.match(cell) for cell in cells):
            current.append([cell.strip() for cell in cells])
    return tables


def _f1(ours: Counter[str], theirs: Counter[str]) -> float:
    overlap = sum((ours & theirs).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(ours.values()), overlap / sum(theirs.values())
    return 2 * precision * recall / (precision + recall)


def _cells(tables: list[Grid]) -> list[list[str]]:
    return [words for table in tables for row in table for cell in row if (words := cell_words(cell))]


def table_cell_f1(tables: list[Grid], truth_markdown: str, threshold: float = 0.8) -> dict[str, float]:
    """Precision, recall and F1 of non-empty table cells against the ground truth's Markdown tables."""
    found, truth = _cells(tables), _cells(markdown_tables(truth_markdown))
    remaining = Counter(" ".join(words) for words in found)
    unmatched: list[list[str]] = []
    matched = 0
    for words in truth:
        key = " ".join(words)
        if remaining[key] > 0:
            remaining[key] -= 1
            matched += 1
        else:
            unmatched.append(words)
    # Fuzzy pass over what is left; F1 >= 0.8 needs the shorter cell to have at least 2/3 of the longer's words.
    pool = [(len(key.split()), Counter(key.split()), key) for key, count in remaining.items() for _ in range(count)]
    for words in unmatched:
        bag, size = Counter(words), len(words)
        best, best_score = -1, threshold
        for index, (length, candidate, _) in enumerate(pool):
            if 3 * min(length, size) >= 2 * max(length, size) and (score := _f1(candidate, bag)) >= best_score:
                best, best_score = index, score
        if best >= 0:
            pool.pop(best)
            matched += 1
    precision = matched / len(found) if found else 0.0
    recall = matched / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if matched else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "found": len(found), "truth": len(truth)}
