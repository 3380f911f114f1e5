"""Docpipe against the raw floor and markitdown on the corpus: throughput, peak RSS, success rate, token F1.

    .venv/bin/python bench/compare.py [--corpus PATH] [--max-pdf-pages 150] [--rounds 5] [--skip-markitdown]
                                      [--skip-ocr] [--out bench-results/compare.json]

Each tool runs in a process of its own (bench/compare_child.py), one after the other, so its peak RSS (the
child's VmHWM) is its own. markitdown runs once (about a minute); raw and ours --rounds times, alternating, and
each keeps its fastest run. Ratios come from this one run, never from figures measured at another time.

- raw: pypdfium2 get_text_range on every page, text PDFs only (the floor no PDF extractor can beat);
- ours: run_pipeline with the default stages, parse.ocr = never, output formats text + Markdown;
- markitdown: MarkItDown(enable_plugins=False).convert_local, its exceptions counted as failures;
- ours, OCR auto: the default stages as a worker runs them, over the scans and images, then over the bad_* files
  (a clean outcome there is a success or a typed failure; "internal" is not clean).

The compared set is every corpus file except pdf_scan_*, img_* and bad_*, without the PDFs longer than
--max-pdf-pages (markitdown reads ~10 pages/s: the 4 longest PDFs would take it minutes); the same set for every
tool. Raw and ours then read those long PDFs too, for a pages/s figure over every text PDF. Times are per file
(imports and a warm-up file excluded), with CPU seconds beside them (less sensitive to other load on the machine);
files/s and MB/s (10^6 bytes) count every file tried, failures included. F1: bench.metrics.token_f1 of the
tool's Markdown (raw: its text) against NAME.expected.*, the mean over the files the tool handled, and over every
file with ground truth counting failures as 0. Empty output is a failure.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import mean

REPO = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).resolve().with_name("compare_child.py")
WARMUP_FILE = "pdf_fake-memo.pdf"
NOT_DOCUMENTS = ("README.md", "MANIFEST.tsv")
CHILD_TIMEOUT_SECONDS = 600
MARKITDOWN_INSTALL = "pip install 'markitdown[pdf,docx,xlsx,pptx,outlook]'"


def file_sets(corpus: Path, max_pdf_pages: int) -> tuple[dict[str, list[Path]], dict[str, int]]:
    import pypdfium2 as pdfium

    documents = sorted(
        path
        for path in corpus.iterdir()
        if path.is_file() and ".expected." not in path.name and path.name not in NOT_DOCUMENTS
    )
    pages = {}
    for path in documents:
        path.read_bytes()  # into the page cache: no tool pays for the disk
        if path.name.startswith("pdf_") and path.suffix == ".pdf":
            pdf = pdfium.PdfDocument(path)
            pages[path.name] = len(pdf)
            pdf.close()
    text = [path for path in documents if not path.name.startswith(("pdf_scan_", "img_", "bad_"))]
    long = [path for path in text if pages.get(path.name, 0) > max_pdf_pages]
    sets = {
        "compared": [path for path in text if path not in long],
        "long_pdfs": long,
        "scans": [path for path in documents if path.name.startswith(("pdf_scan_", "img_"))],
        "bad": [path for path in documents if path.name.startswith("bad_")],
    }
    return sets, pages


def run_child(tool: str, groups: list[list[Path]], corpus: Path) -> dict | None:
    with tempfile.TemporaryDirectory(prefix="docpipe-compare-") as folder:
        job, out = Path(folder) / "job.json", Path(folder) / "out.json"
        plan = {"warmup": str(corpus / WARMUP_FILE), "groups": [[str(path) for path in group] for group in groups]}
        job.write_text(json.dumps(plan))
        command = [sys.executable, str(CHILD), tool, str(job), str(out)]
        try:
            process = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"  {tool}: skipped, did not finish within {CHILD_TIMEOUT_SECONDS} s")
            return None
        if process.returncode != 0 or not out.exists():
            print(f"  {tool}: failed (exit {process.returncode}): {process.stderr.strip()[-600:]}")
            return None
        return json.loads(out.read_text())


def summarize(records: list[dict], pages: dict[str, int], sizes: dict[str, int], peak_kib: int) -> dict:
    seconds = sum(record["seconds"] for record in records) or float("nan")
    pdfs = [record for record in records if record["file"] in pages]
    pdf_seconds = sum(record["seconds"] for record in pdfs)
    truth = [record for record in records if record["has_truth"]]
    handled = [record["f1"] for record in truth if record["ok"]]
    stage_ms: dict[str, float] = {}
    for record in records:
        for stage, ms in record["stage_ms"].items():
            stage_ms[stage] = stage_ms.get(stage, 0) + ms
    return {
        "files": len(records),
        "succeeded": sum(record["ok"] for record in records),
        "success_rate": sum(record["ok"] for record in records) / len(records),
        "seconds": seconds,
        "cpu_seconds": sum(record["cpu_s"] for record in records),
        "files_per_s": len(records) / seconds,
        "mb_per_s": sum(sizes[record["file"]] for record in records) / 1e6 / seconds,
        "pdf_pages": sum(pages[record["file"]] for record in pdfs),
        "pdf_pages_per_s": sum(pages[record["file"]] for record in pdfs) / pdf_seconds if pdf_seconds else None,
        "peak_rss_mib": peak_kib / 1024,
        "truth_files": len(truth),
        "f1_handled": mean(handled) if handled else None,
        "f1_all": mean(record["f1"] or 0.0 for record in truth) if truth else None,
        "stage_ms": stage_ms,
        "ocr_pages": sum(record["ocr_pages"] for record in records),
        "outside_stages_ms": seconds * 1000 - sum(stage_ms.values()) if stage_ms else None,
    }


def rows_for(results: dict[str, dict], pages: dict[str, int], sizes: dict[str, int]) -> dict[str, dict]:
    rows = {}

    def add(name: str, tool: str, upto: int, keep: Callable[[dict], bool] = lambda _: True) -> None:
        if tool not in results:
            return
        groups = results[tool]["groups"][: upto + 1]
        records = [record for group in groups for record in group["records"] if keep(record)]
        rows[name] = summarize(records, pages, sizes, groups[-1]["peak_rss_kib"])

    add("raw, short PDFs", "raw", 0)
    add("ours, compared set", "ours", 0)
    add("markitdown, compared set", "markitdown", 0)
    add("ours, short PDFs", "ours", 0, lambda record: record["file"] in pages)
    add("markitdown, short PDFs", "markitdown", 0, lambda record: record["file"] in pages)
    add("raw, all text PDFs", "raw", 1)
    add("ours, all text PDFs", "ours", 1, lambda record: record["file"] in pages)
    add("ours OCR auto, scans+images", "ours-ocr", 0)
    if "ours-ocr" in results:
        bad = results["ours-ocr"]["groups"][1]["records"]
        rows["ours OCR auto, bad_* files"] = summarize(
            bad, pages, sizes, results["ours-ocr"]["groups"][1]["peak_rss_kib"]
        )
        rows["ours OCR auto, bad_* files"]["clean_outcomes"] = sum(r["error_type"] != "internal" for r in bad)
    return rows


# name (with the goal), numerator (row, field), denominator (row, field); all from the same run
RATIOS = (
    (
        "raw/ours pages/s, short PDFs (layout on; its goal is in 5b)",
        ("raw, short PDFs", "pdf_pages_per_s"),
        ("ours, short PDFs", "pdf_pages_per_s"),
    ),
    (
        "ours/raw CPU s, short PDFs (layout on)",
        ("ours, short PDFs", "cpu_seconds"),
        ("raw, short PDFs", "cpu_seconds"),
    ),
    (
        "raw/ours pages/s, all text PDFs",
        ("raw, all text PDFs", "pdf_pages_per_s"),
        ("ours, all text PDFs", "pdf_pages_per_s"),
    ),
    ("ours/raw CPU s, all text PDFs", ("ours, all text PDFs", "cpu_seconds"), ("raw, all text PDFs", "cpu_seconds")),
    (
        "ours/markitdown files/s (goal >= 5)",
        ("ours, compared set", "files_per_s"),
        ("markitdown, compared set", "files_per_s"),
    ),
    (
        "ours/markitdown PDF pages/s",
        ("ours, short PDFs", "pdf_pages_per_s"),
        ("markitdown, short PDFs", "pdf_pages_per_s"),
    ),
    ("markitdown/ours CPU s", ("markitdown, compared set", "cpu_seconds"), ("ours, compared set", "cpu_seconds")),
    (
        "ours/markitdown F1, failures as 0 (goal >= 1)",
        ("ours, compared set", "f1_all"),
        ("markitdown, compared set", "f1_all"),
    ),
)


def ratios(rows: dict[str, dict]) -> dict[str, float]:
    found = {}
    for name, (top, top_field), (bottom, bottom_field) in RATIOS:
        if top in rows and bottom in rows and rows[top][top_field] and rows[bottom][bottom_field]:
            found[name] = rows[top][top_field] / rows[bottom][bottom_field]
    return found


def per_kind(results: dict[str, dict]) -> dict[str, dict]:
    """ours against markitdown by corpus prefix (pdf, docx, html, ...): ms per file, failures, F1 where known."""
    kinds: dict[str, dict] = {}
    for tool in ("ours", "markitdown"):
        if tool not in results:
            continue
        for record in results[tool]["groups"][0]["records"]:
            row = kinds.setdefault(record["file"].split("_")[0], {}).setdefault(tool, {"ms": [], "failed": 0, "f1": []})
            row["ms"].append(record["seconds"] * 1000)
            row["failed"] += not record["ok"]
            if record["has_truth"]:
                row["f1"].append(record["f1"] or 0.0)
    return {
        kind: {
            tool: {
                "files": len(row["ms"]),
                "failed": row["failed"],
                "ms_per_file": mean(row["ms"]),
                "f1_all": mean(row["f1"]) if row["f1"] else None,
            }
            for tool, row in tools.items()
        }
        for kind, tools in sorted(kinds.items())
    }


def _number(value: float | None, width: int, digits: int) -> str:
    return f"{'-':>{width}s}" if value is None else f"{value:{width}.{digits}f}"


def print_report(rows: dict[str, dict], found: dict[str, float], kinds: dict[str, dict]) -> None:
    print(
        f"\n  {'tool, files':32s} {'files':>5s} {'ok %':>6s} {'files/s':>8s} {'MB/s':>6s} {'pages/s':>8s}"
        f" {'RSS MiB':>7s} {'F1 ok':>6s} {'F1 all':>6s} {'wall s':>7s} {'CPU s':>6s}"
    )
    for name, row in rows.items():
        print(
            f"  {name:32s} {row['files']:5d} {row['success_rate'] * 100:6.1f} {row['files_per_s']:8.1f}"
            f" {row['mb_per_s']:6.2f} {_number(row['pdf_pages_per_s'], 8, 1)} {row['peak_rss_mib']:7.0f}"
            f" {_number(row['f1_handled'], 6, 3)} {_number(row['f1_all'], 6, 3)} {row['seconds']:7.2f}"
            f" {row['cpu_seconds']:6.1f}"
        )
    if "ours OCR auto, scans+images" in rows:
        row = rows["ours OCR auto, scans+images"]
        print(
            f"  OCR row: {row['ocr_pages']} pages read by OCR in {row['seconds']:.1f} s = "
            f"{row['ocr_pages'] / row['seconds']:.2f} pages/s (RSS without the Tesseract processes)"
        )
    for name in ("ours, short PDFs", "ours, compared set"):
        if name in rows:
            stages = ", ".join(f"{stage} {ms:.0f}" for stage, ms in rows[name]["stage_ms"].items())
            print(f"  {name}, ms per stage: {stages}; between stages {rows[name]['outside_stages_ms']:.0f}")
    if "ours OCR auto, bad_* files" in rows:
        bad = rows["ours OCR auto, bad_* files"]
        print(
            f"  bad_* files: {bad['succeeded']} succeeded (readable despite the damage), "
            f"{bad['files'] - bad['succeeded']} failed, {bad['clean_outcomes']}/{bad['files']} clean outcomes"
        )
    print("\n  Ratios measured in this run:")
    for name, value in found.items():
        print(f"    {name:48s} {value:6.2f}")
    print(
        f"\n  {'kind':6s} {'files':>5s} {'ours ms':>8s} {'md ms':>8s} {'ours fail':>9s} {'md fail':>7s}"
        f" {'ours F1':>7s} {'md F1':>6s}"
    )
    for kind, tools in kinds.items():
        ours, other = tools.get("ours", {}), tools.get("markitdown", {})
        print(
            f"  {kind:6s} {ours.get('files', 0):5d} {_number(ours.get('ms_per_file'), 8, 1)}"
            f" {_number(other.get('ms_per_file'), 8, 1)} {ours.get('failed', 0):9d} {other.get('failed', 0):7d}"
            f" {_number(ours.get('f1_all'), 7, 3)} {_number(other.get('f1_all'), 6, 3)}"
        )


def failures(results: dict[str, dict]) -> dict[str, list[str]]:
    return {
        tool: [f"{r['file']}: {r['error']}" for group in result["groups"][:2] for r in group["records"] if not r["ok"]]
        for tool, result in results.items()
        if tool != "ours-ocr"
    }


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    versions = {}
    for package in ("pypdfium2", "markitdown", "magika", "pdfminer.six"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"cores": len(os.sched_getaffinity(0)), "cpu": model, "python": platform.python_version(), **versions}


def run_all(plans: dict[str, list[list[Path]]], rounds: int, corpus: Path) -> dict[str, dict]:
    """Every tool once; raw and ours (fast) again, alternating, keeping each one's fastest run over the first group."""
    results: dict[str, dict] = {}
    order = list(plans) + [tool for _ in range(rounds - 1) for tool in ("raw", "ours") if tool in plans]
    for tool in order:
        started = time.perf_counter()
        result = run_child(tool, plans[tool], corpus)
        if result is None:
            continue
        print(f"  {tool}: {time.perf_counter() - started:.1f} s (startup {result['startup_s']:.2f} s)")
        result["runs"] = results.get(tool, {}).get("runs", 0) + 1
        if tool not in results or _group_seconds(result) < _group_seconds(results[tool]):
            results[tool] = result
        else:
            results[tool]["runs"] = result["runs"]
    return results


def _group_seconds(result: dict) -> float:
    return sum(record["seconds"] for record in result["groups"][0]["records"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--max-pdf-pages", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=5, help="runs of raw and ours (markitdown: one)")
    parser.add_argument("--skip-markitdown", action="store_true")
    parser.add_argument("--skip-ocr", action="store_true", help="no OCR pass (bench/ocr_and_limits.py has one)")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "compare.json")
    args = parser.parse_args()
    about = machine() | {"load_average_at_start": os.getloadavg()[0]}
    sets, pages = file_sets(args.corpus, args.max_pdf_pages)
    sizes = {path.name: path.stat().st_size for paths in sets.values() for path in paths}
    compared, long = sets["compared"], sets["long_pdfs"]
    print(
        f"{len(compared)} files compared ({sum(pages.get(p.name, 0) for p in compared)} PDF pages); "
        f"{len(long)} PDFs over {args.max_pdf_pages} pages left to raw and ours: {', '.join(p.name for p in long)}"
    )
    print(
        f"short PDFs: the text PDFs of at most {args.max_pdf_pages} pages; raw and ours: fastest of {args.rounds} runs"
    )
    print(f"{about['cores']} cores, {about['cpu']}, load average {about['load_average_at_start']:.2f}")
    plans = {
        "raw": [[p for p in compared if p.name in pages], long],
        "ours": [compared, long],
        "markitdown": [compared],
        "ours-ocr": [sets["scans"], sets["bad"]],
    }
    if args.skip_ocr:
        del plans["ours-ocr"]
    if args.skip_markitdown:
        print("  markitdown: skipped (--skip-markitdown)")
        del plans["markitdown"]
    elif importlib.util.find_spec("markitdown") is None:
        print(f"  markitdown: skipped, not installed in this environment ({MARKITDOWN_INSTALL})")
        del plans["markitdown"]
    results = run_all(plans, args.rounds, args.corpus)
    rows, kinds = rows_for(results, pages, sizes), per_kind(results)
    found = ratios(rows)
    print_report(rows, found, kinds)
    about["load_average_at_end"] = os.getloadavg()[0]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": about, "max_pdf_pages": args.max_pdf_pages, "rows": rows, "ratios": found, "per_kind": kinds}
    report |= {"failures": failures(results), "results": results}
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")


if __name__ == "__main__":
    main()
