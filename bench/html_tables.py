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
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.metrics import token_f1  # noqa: E402
from bench.table_metrics import table_cell_f1  # noqa: E402
from webapp.pipeline.detect import detect  # noqa: E402
from webapp.pipeline.document import Source  # noqa: E402
from webapp.pipeline.parsers.html import HtmlParser  # noqa: E402
from webapp.pipeline.render import to_markdown  # noqa: E402

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
