"""Layout analysis on documents it has never seen: seeded, varied PDFs (``layout_corpus``) through the PDF parser.

GIVEN a generated PDF whose truth is what was drawn (headings, tables, furniture, reading order, every word)
WHEN it is parsed like the parse stage does
THEN every table row comes back exact, headings are found (F1 >= 0.9) with their levels in the same order, the
anchors come in reading order, no furniture is left in the text and no word is lost.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest

from tests.pipeline.helpers import parse
from tests.pipeline.layout_corpus import Truth, build
from webapp.pipeline.document import ParsedDocument
from webapp.pipeline.render import to_text

SEEDS = range(100)
LATER = "the top of the next column is read before a section starting low in this one (not yet looked into)"
SIDE_BY_SIDE = "two tables side by side are read as one"
BESIDE = "a ragged text column beside a table is taken for a column of its cells"
ROWS = "a row of a table on a multi-column page is lost (not yet looked into)"
FOOTNOTE = "a list item going on in the next column is cut by a footnote across two of three columns"
# Failures we know and have not fixed (strict: fixing one fails the test until its mark goes).
KNOWN: dict[tuple[str, int], str] = {
    ("tables", 37): SIDE_BY_SIDE,
    ("anchors", 37): SIDE_BY_SIDE,
    ("tables", 41): ROWS,
    ("tables", 50): BESIDE,
    ("anchors", 50): BESIDE,
    ("paragraphs", 50): BESIDE,
    ("tables", 52): ROWS,
    ("anchors", 53): LATER,
    ("tables", 56): BESIDE,
    ("anchors", 56): BESIDE,
    ("paragraphs", 56): BESIDE,
    ("tables", 58): ROWS,
    ("tables", 59): ROWS,
    ("anchors", 84): LATER,
    ("anchors", 86): FOOTNOTE,
}


def _seeds(check: str) -> list[object]:
    return [
        pytest.param(seed, marks=pytest.mark.xfail(strict=True, reason=KNOWN[(check, seed)]))
        if (check, seed) in KNOWN
        else seed
        for seed in SEEDS
    ]


@cache
def _parsed(seed: int) -> tuple[ParsedDocument, Truth]:
    data, truth = build(seed)
    with TemporaryDirectory() as folder:
        path = Path(folder) / f"corpus-{seed}.pdf"
        path.write_bytes(data)
        _, document = parse(path, ocr="never")
    return document, truth


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("seed", _seeds("tables"))
def test_every_table_row_is_exact(seed: int) -> None:
    document, truth = _parsed(seed)
    found = {tuple(_norm(cell) for cell in row) for table in document.tables for row in table.rows}
    missing = [row for table in truth.tables for row in table if tuple(row) not in found]
    assert not missing, (
        f"{len(missing)} rows missing, first {missing[:3]}; tables {[t.rows[:2] for t in document.tables]}"
    )


@pytest.mark.parametrize("seed", _seeds("headings"))
def test_headings_are_found_with_their_levels_in_order(seed: int) -> None:
    document, truth = _parsed(seed)
    found = [(e.level or 0, _norm(e.text)) for e in document.elements if e.type == "heading"]
    expected = {text: level for level, text in truth.headings}
    hits = [(level, expected[text]) for level, text in found if text in expected]
    precision = len(hits) / len(found) if found else 0.0
    recall = len({text for _, text in found if text in expected}) / len(expected)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    extra = [text for _, text in found if text not in expected][:4]
    lost = [text for text in expected if text not in {t for _, t in found}][:4]
    assert f1 >= 0.9, f"F1 {f1:.2f}: extra {extra}, lost {lost}"
    inverted = [(a, b) for a in hits for b in hits if a[1] < b[1] and a[0] >= b[0]]
    assert not inverted, f"levels out of order (ours, truth): {inverted[:3]}"


@pytest.mark.parametrize("seed", _seeds("anchors"))
def test_anchors_come_in_reading_order(seed: int) -> None:
    document, truth = _parsed(seed)
    text = _norm(to_text(document))
    position = 0
    for anchor in truth.order:
        found = text.find(anchor, position)
        assert found >= 0, f"{anchor!r} not found after {text[max(0, position - 80) : position]!r}"
        position = found + len(anchor)


@pytest.mark.parametrize("seed", _seeds("furniture"))
def test_no_furniture_in_the_text(seed: int) -> None:
    document, truth = _parsed(seed)
    text = to_text(document)
    lines = {_norm(line) for line in text.splitlines()}
    left = sorted({item for item in truth.furniture if item in lines or (len(item) > 8 and item in text)})
    assert not left, f"furniture left in the text: {left[:5]}"


@pytest.mark.parametrize("seed", _seeds("words"))
def test_no_word_is_lost(seed: int) -> None:
    document, truth = _parsed(seed)
    ours = Counter(_tokens(to_text(document)))
    lost = Counter(_tokens(" ".join(truth.words))) - ours
    assert not lost, f"{sum(lost.values())} words lost: {list(lost)[:8]}"


@pytest.mark.parametrize("seed", _seeds("paragraphs"))
def test_paragraphs_are_whole(seed: int) -> None:
    document, truth = _parsed(seed)
    blocks = {_norm(e.text) for e in document.elements if e.type in ("paragraph", "list_item")}
    broken = [text for text in truth.paragraphs if _norm(text) not in blocks]
    assert not broken, f"{len(broken)}/{len(truth.paragraphs)} paragraphs split or merged: {broken[:2]}"


def _tokens(text: str) -> list[str]:
    return [token for token in re.findall(r"[\w%$.,()/-]+", text) if any(c.isalnum() for c in token)]
