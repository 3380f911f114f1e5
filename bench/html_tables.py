"""HTML tables against ground truth: table-cell F1 and text token F1 on every corpus html_* file with NAME.expected.md.

    .venv/bin/python bench/html_tables.py [--corpus PATH] [--kreuzberg PYTHON] [--json FILE]

Table cells: the non-empty cells of every table we find against the non-empty cells of the Markdown tables in the
ground truth, as multisets. A cell is compared by its words (lower-cased \\w+ tokens, Markdown link targets, image
tags and emphasis marks removed) so formatting differences do not count; a ground-truth cell matches one of our
cells with the same words, or failing that the unmatched cell with the best token F1 if that is >= 0.8 (the rule
bench.metrics.heading_f1 uses for headings; long navigation cells differ by a footnote mark or a stray word).
Text: bench.metrics.token_f1 of our Markdown against the whole ground truth, so we see that tables do not cost text.

The ground truth is not one tool's: the docling_* files are docling's output (spanned cells repeat the spanning
text, a nested table is flattened into its cell), the wiki_* files are Kreuzberg's (spanned cells empty, nested
tables dropped). ``--kreuzberg`` runs Kreuzberg from another interpreter (a scratch venv, never our requirements)
and scores its tables and text the same way.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.metrics import token_f1  # noqa: E402
from webapp.pipeline.detect import detect  # noqa: E402
from webapp.pipeline.document import Source  # noqa: E402
from webapp.pipeline.parsers.html import HtmlParser  # noqa: E402
from webapp.pipeline.render import to_markdown  # noqa: E402

Grid = list[list[str]]
_WORD = re.compile(r"\w+")
# ](target) or ](<target> "title"): the target is not text the reader sees.
_LINK_TARGET = re.compile(r"\]\((?:<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"]*\")?\)")
_TAG = re.compile(r"<[^>]*>")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_SEPARATOR_CELL = re.compile(r"^\s*:?-+:?\s*$")
_KREUZBERG_CHILD = """
import json, sys
from kreuzberg import extract_file_sync
out = {}
for path in sys.argv[1:]:
    result = extract_file_sync(path)
    # Kreuzberg 4.10 lists each HTML table twice (once per page, once for page 0): count each once.
    tables = list({json.dumps(table.cells): table.cells for table in result.tables}.values())
    out[path] = {"tables": tables, "text": result.content}
print(json.dumps(out))
"""


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


def ours(path: Path) -> dict[str, Any]:
    source = Source(path=path, filename=path.name, size_bytes=path.stat().st_size)
    document = HtmlParser().parse(source, detect(source), {"tables": True})
    return {"tables": [table.rows for table in document.tables], "text": to_markdown(document)}


def kreuzberg(python: str, paths: list[Path]) -> dict[str, dict[str, Any]]:
    command = [python, "-c", _KREUZBERG_CHILD, *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return {Path(path).name: result for path, result in json.loads(done.stdout).items()}


def _truth_path(path: Path) -> Path:
    return path.with_name(path.name + ".expected.md")


def score(result: dict[str, Any], truth: str) -> dict[str, Any]:
    return {**table_cell_f1(result["tables"], truth), "text_f1": token_f1(result["text"], truth)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--kreuzberg", metavar="PYTHON", help="an interpreter with kreuzberg installed")
    parser.add_argument("--json", type=Path, help="also write the scores here")
    args = parser.parse_args()
    files = [path for path in sorted(args.corpus.glob("html_*.html")) if _truth_path(path).exists()]
    tools = {"docpipe": {path.name: ours(path) for path in files}}
    if args.kreuzberg:
        tools["kreuzberg"] = kreuzberg(args.kreuzberg, files)
    scores: dict[str, dict[str, Any]] = {}
    print(f"{'file':40s} {'tool':9s} {'cells':>5s} {'truth':>5s} {'P':>5s} {'R':>5s} {'F1':>5s} {'textF1':>6s}")
    for path in files:
        truth = _truth_path(path).read_text(encoding="utf-8")
        for tool, results in tools.items():
            row = scores.setdefault(tool, {})[path.name] = score(results[path.name], truth)
            print(
                f"{path.name:40s} {tool:9s} {row['found']:5d} {row['truth']:5d} {row['precision']:5.2f} "
                f"{row['recall']:5.2f} {row['f1']:5.2f} {row['text_f1']:6.3f}"
            )
    if args.json:
        args.json.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
