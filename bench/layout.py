"""Layout analysis on PDFs: speed with layout on and off beside the raw PDFium floor, and quality against docling.

    .venv/bin/python bench/layout.py [--corpus PATH] [--repeat N] [--skip-pdfplumber] [--out FILE]

Speed: every text PDF of the corpus (pdf_*, not pdf_scan_*), one process (one core), the parse stage's PDF parser
plus both renderers, best of N alternating runs; reported as pages/s and as the ratio to raw pypdfium2
get_text_range measured in the same run. pdfplumber (MIT, pdfminer.six) is measured beside it on the docling
files: its words plus its table finder, the candidate library the issue names.
Quality, on the corpus files whose docling ground truth (NAME.expected.md) marks headings and tables: heading F1
(texts, levels ignored: docling writes every heading as ``##``) and table-cell F1 (bench.table_metrics), ours
against pdfplumber's tables; token F1 of the text over every PDF with ground truth, layout on versus off.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from statistics import mean
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.extraction import raw_pass, source_for  # noqa: E402
from bench.metrics import heading_f1, markdown_headings, token_f1  # noqa: E402
from webapp.pipeline.detect import detect  # noqa: E402
from webapp.pipeline.document import ParsedDocument  # noqa: E402
from webapp.pipeline.parsers.pdf import PdfParser  # noqa: E402
from webapp.pipeline.render import to_markdown, to_text  # noqa: E402

BASE_OPTIONS = {"ocr": "never", "ocr_languages": ["eng"], "max_pages": 100000, "tables": True, "furniture": "drop"}
HEADING_FILES = ("pdf_docling_multi_page.pdf", "pdf_docling_normal_4pages.pdf", "pdf_docling_redp5110_sampled.pdf")
TABLE_FILES = ("pdf_docling_2305.03393v1-pg9.pdf", "pdf_docling_normal_4pages.pdf", "pdf_docling_redp5110_sampled.pdf")
# The issue's floor for layout on, in pages/s on one core, and the text-only path's.
GOAL_LAYOUT_PAGES_PER_S = 100.0
GOAL_TEXT_ONLY_PAGES_PER_S = 200.0


def options(layout: bool) -> dict[str, Any]:
    return {**BASE_OPTIONS, "layout": layout}


def parse(path: Path, layout: bool) -> ParsedDocument:
    source = source_for(path)
    return PdfParser().parse(source, detect(source), options(layout))


def ours_pass(files: list[Path], layout: bool) -> int:
    pages = 0
    for path in files:
        document = parse(path, layout)
        to_text(document)
        to_markdown(document)
        pages += document.signals["pages"]
    return pages


def speed(files: list[Path], repeat: int) -> dict[str, Any]:
    raw_pass(files)  # warm the page cache so no side pays for disk reads
    runs = {"raw": raw_pass, "layout_off": lambda f: ours_pass(f, False), "layout_on": lambda f: ours_pass(f, True)}
    best: dict[str, tuple[float, int]] = {}
    for _ in range(repeat):
        for name, run in runs.items():
            started = time.perf_counter()
            pages = run(files)
            elapsed = time.perf_counter() - started
            if name not in best or elapsed < best[name][0]:
                best[name] = (elapsed, pages)
    rates = {name: pages / elapsed for name, (elapsed, pages) in best.items()}
    return {
        "files": len(files),
        "pages": best["raw"][1],
        "pages_per_s": rates,
        "layout_on_vs_raw": rates["layout_on"] / rates["raw"],
        "layout_off_vs_raw": rates["layout_off"] / rates["raw"],
    }


def headings(corpus: Path) -> dict[str, Any]:
    rows = {}
    for name in HEADING_FILES:
        truth = markdown_headings((corpus / f"{name}.expected.md").read_text(encoding="utf-8"))
        document = parse(corpus / name, True)
        found = [e.text for e in document.elements if e.type in ("title", "heading")]
        rows[name] = heading_f1(found, truth)
    return {"files": rows, "mean_f1": mean(row["f1"] for row in rows.values())}


def tables(corpus: Path, with_pdfplumber: bool) -> dict[str, Any]:
    from bench.table_metrics import table_cell_f1

    rows: dict[str, Any] = {}
    for name in TABLE_FILES:
        truth = (corpus / f"{name}.expected.md").read_text(encoding="utf-8")
        document = parse(corpus / name, True)
        row = {"ours": table_cell_f1([table.rows for table in document.tables], truth)}
        if with_pdfplumber:
            row["pdfplumber"] = table_cell_f1(pdfplumber_tables(corpus / name), truth)
        rows[name] = row
    summary = {tool: mean(row[tool]["f1"] for row in rows.values()) for tool in next(iter(rows.values()))}
    return {"files": rows, "mean_f1": summary}


def pdfplumber_tables(path: Path) -> list[list[list[str]]]:
    import pdfplumber

    found: list[list[list[str]]] = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                found.append([[cell or "" for cell in row] for row in table])
    return found


def pdfplumber_speed(corpus: Path) -> dict[str, Any]:
    import pdfplumber

    pages, started = 0, time.perf_counter()
    for name in sorted(set(HEADING_FILES) | set(TABLE_FILES)):
        with pdfplumber.open(corpus / name) as pdf:
            for page in pdf.pages:
                page.extract_words()
                page.extract_tables()
                pages += 1
    return {"pages": pages, "pages_per_s": pages / (time.perf_counter() - started)}


def token_quality(corpus: Path, files: list[Path]) -> dict[str, Any]:
    rows = {}
    for path in files:
        expected = next(iter(sorted(corpus.glob(f"{path.name}.expected.*"))), None)
        if expected is None:
            continue
        reference = expected.read_text(encoding="utf-8", errors="replace")
        rows[path.name] = {
            "layout_on": token_f1(to_markdown(parse(path, True)), reference),
            "layout_off": token_f1(to_markdown(parse(path, False)), reference),
        }
    return {
        "files": rows,
        "mean_layout_on": mean(row["layout_on"] for row in rows.values()),
        "mean_layout_off": mean(row["layout_off"] for row in rows.values()),
    }


def report(data: dict[str, Any]) -> None:
    s = data["speed"]
    rates = s["pages_per_s"]
    print(f"Speed over {s['files']} text PDFs ({s['pages']} pages), one process, best of {data['repeat']}:")
    print(f"  raw pypdfium2 text      {rates['raw']:7.0f} pages/s")
    print(f"  ours, layout off        {rates['layout_off']:7.0f} pages/s  ratio to raw {s['layout_off_vs_raw']:.2f}"
          f"  (goal >= {GOAL_TEXT_ONLY_PAGES_PER_S:.0f} pages/s)")  # fmt: skip
    print(f"  ours, layout on         {rates['layout_on']:7.0f} pages/s  ratio to raw {s['layout_on_vs_raw']:.2f}"
          f"  (goal >= {GOAL_LAYOUT_PAGES_PER_S:.0f} pages/s)")  # fmt: skip
    if "pdfplumber_speed" in data:
        p = data["pdfplumber_speed"]
        print(f"  pdfplumber words+tables {p['pages_per_s']:7.1f} pages/s  (docling files, {p['pages']} pages)")
    print("\nHeadings against docling's ground truth (texts; levels ignored):")
    for name, row in data["headings"]["files"].items():
        print(f"  {name:42s} F1 {row['f1']:.2f}  P {row['precision']:.2f}  R {row['recall']:.2f}"
              f"  ({row['found']} found, {row['truth']} true)")  # fmt: skip
    print(f"  mean heading F1 {data['headings']['mean_f1']:.3f}")
    if "tables" in data:
        print("\nTable cells against docling's ground truth (multiset F1 of non-empty cells):")
        for name, row in data["tables"]["files"].items():
            cells = "  ".join(f"{tool} {value['f1']:.2f}" for tool, value in row.items())
            print(f"  {name:42s} {cells}")
        print("  mean " + "  ".join(f"{tool} {value:.3f}" for tool, value in data["tables"]["mean_f1"].items()))
    t = data["tokens"]
    print(f"\nToken F1 of the Markdown over {len(t['files'])} PDFs with ground truth:"
          f" layout on {t['mean_layout_on']:.3f}, off {t['mean_layout_off']:.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pdfplumber", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    files = sorted(path for path in args.corpus.glob("pdf_*.pdf") if not path.name.startswith("pdf_scan_"))
    data: dict[str, Any] = {"repeat": args.repeat, "speed": speed(files, args.repeat)}
    if not args.skip_pdfplumber:
        data["pdfplumber_speed"] = pdfplumber_speed(args.corpus)
    data["headings"] = headings(args.corpus)
    data["tables"] = tables(args.corpus, not args.skip_pdfplumber)
    data["tokens"] = token_quality(args.corpus, files)
    report(data)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
