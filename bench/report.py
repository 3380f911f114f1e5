"""Docpipe's performance report (``make bench``): every benchmark, one table per section, ratios from this run.

    .venv/bin/python bench/report.py [--sections overhead,scaling,api,memory,extraction,layout,chunks,other] [--quick]

Sections: 1 platform overhead (in-process vs end to end on SQLite and on PostgreSQL + Redis), 2 scaling with
consumer processes, 3 the API under load (wrk, 1,000,000 jobs in PostgreSQL), 4 memory, 5 extraction
(pipeline vs the raw pypdfium2 floor vs markitdown), 5b layout analysis (pages/s with layout on and off, heading
and table-cell F1 against docling, pdfplumber beside us), 5c chunking (time against parsing, memory on the
1,225-page text, BM25 recall@5 of by_title chunks beside plain 512-token windows), 6 the other benchmarks (OCR and
limits, audit queries).
Everything goes to bench/results/latest.json as well. PostgreSQL must answer on DOCPIPE_TEST_PG_ADMIN_URL
(default postgresql://postgres@127.0.0.1:5432/postgres); the bench uses a database of its own
(DOCPIPE_BENCH_DATABASE, default docpipe_bench, dropped and created) and starts a Redis server of its own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import api_load, memory, overhead
from bench.common import REPO, machine, small_files

RESULTS = REPO / "bench" / "results"
SECTIONS = ("overhead", "scaling", "api", "memory", "extraction", "layout", "chunks", "other")
GOALS = {
    "overhead_p50_ms": 25.0,
    "e2e_vs_in_process": 0.80,
    "get_job_req_per_s": 1000.0,
    "api_p99_ms": 50.0,
    "worker_rss_growth_pct": 10.0,
    "layout_pages_per_s": 100.0,
    "text_only_pages_per_s": 200.0,
    "heading_f1": 0.9,
    "chunk_vs_parse_pct": 10.0,
    "chunk_worker_mb": 300.0,
}


def table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    for row in [headers, ["-" * w for w in widths], *cells]:
        padded = (v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True)))
        print("  " + "  ".join(padded))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def _cores(cpu: dict) -> str:
    used = cpu["cores_used"]
    top = sorted(used.items(), key=lambda item: -item[1])[:4]
    return "; ".join(f"{name} {value:.2f}" for name, value in top if value >= 0.02)


# --- sections ----------------------------------------------------------------------------------------------------


def section_overhead(args: argparse.Namespace) -> dict[str, Any]:
    files = small_files(args.jobs)
    processes = 2  # the consumer's two worker threads parse two documents at a time
    result: dict[str, Any] = {
        "in_process_extract": overhead.in_process(files, processes, "extract"),
        "in_process_stages_only": overhead.in_process(files, processes, "pipeline"),
    }
    for backend in ("sqlite", "postgresql"):
        result[backend] = overhead.end_to_end(backend, files, args.singles)
    base = result["in_process_extract"]["jobs_per_s"]
    rows = [
        ["in-process, stages only (no sandbox)", result["in_process_stages_only"]["jobs_per_s"], "-", "-", "-", "-"],
        ["in-process, extract path (sandboxed)", base, 1.0, "-", "-", "-"],
    ]
    labels = {"sqlite": "end to end, SQLite + SqliteHuey", "postgresql": "end to end, PostgreSQL + Redis"}
    for backend, label in labels.items():
        burst, single = result[backend]["burst"], result[backend]["single"]
        result[backend]["ratio_to_in_process"] = burst["jobs_per_s"] / base
        rows.append(
            [label, burst["jobs_per_s"], burst["jobs_per_s"] / base, single["latency_p50_ms"],
             single["overhead_p50_ms"], single["overhead_p95_ms"]]
        )  # fmt: skip
    table(
        f"1. Platform overhead: {args.jobs} small real documents ({len(set(files))} distinct), {processes} parsing "
        f"processes each way (1 consumer x 2 threads); idle latency over {args.singles} jobs sent one at a time",
        ["path", "jobs/s", "ratio", "idle p50 ms", "overhead p50", "overhead p95"],
        rows,
    )
    detail = []
    for backend in ("sqlite", "postgresql"):
        single, burst = result[backend]["single"], result[backend]["burst"]
        detail.append(
            [backend, single["submit_request_p50_ms"], single["queue_wait_p50_ms"],
             single["worker_outside_stages_p50_ms"], single["stages_p50_ms"], burst["worker_outside_stages_p50_ms"],
             burst["failed"] + single["failed"], _cores(burst["cpu"])]
        )  # fmt: skip
    table(
        "   where an idle job's overhead goes (ms, p50), and the burst's CPU use (cores)",
        ["backend", "POST", "queue wait", "worker outside stages", "stages", "burst: outside", "failed", "burst CPU"],
        detail,
    )
    return result


def section_scaling(args: argparse.Namespace) -> dict[str, Any]:
    files = small_files(args.scaling_jobs)
    results = overhead.scaling(files, (1, 2, 4))
    base = results[0]["jobs_per_s"]
    rows = [
        [r["consumers"], r["jobs_per_s"], r["jobs_per_s"] / base, r["cpu"]["cpu_busy_pct"],
         r["dispatch_gap"]["p50_ms"], r["dispatch_gap"]["p95_ms"], r["worker_outside_stages_p50_ms"],
         r["stages_mean_ms"], _cores(r["cpu"])]
        for r in results
    ]  # fmt: skip
    table(
        f"2. Scaling: {len(files)} small documents, PostgreSQL + Redis, N consumer processes x 1 thread",
        ["consumers", "jobs/s", "speed-up", "CPU busy %", "gap p50 ms", "gap p95", "outside stages", "stages ms",
         "cores used by"],
        rows,
    )  # fmt: skip
    return {"runs": results}


def section_api(args: argparse.Namespace) -> dict[str, Any]:
    result = api_load.run(args.api_jobs, args.wrk_seconds, args.wrk_connections)
    if "skipped" in result:
        print(f"\n3. API under load: skipped, {result['skipped']}")
        return result
    rows = []
    for name, label in (("get_job", "GET /api/v1/jobs/{id} (random id)"), ("list_jobs", "GET /api/v1/jobs?limit=50")):
        r = result[name]
        rows.append([label, r["req_per_s"], r["p50_ms"], r["p90_ms"], r["p99_ms"], r["non_2xx"] + r["socket_errors"],
                     _cores(r["cpu"])])  # fmt: skip
    table(
        f"3. API under load: {result['jobs_in_database']:,} jobs in PostgreSQL "
        f"(filled in {result['fill']['total_s']:.0f} s), "
        f"wrk {args.wrk_seconds} s, {args.wrk_connections} connections, gunicorn 2 workers x 4 threads",
        ["endpoint", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "cores used by"],
        rows,
    )
    return result


def section_memory(args: argparse.Namespace) -> dict[str, Any]:
    worker = memory.worker_rss(args.memory_jobs)
    table(
        f"4a. Memory: one consumer (2 threads) over {worker['jobs']} mixed jobs ({worker['distinct_files']} distinct "
        f"files, {worker['failed']} failed as expected: hostile files)",
        ["process", "RSS after 10 % MiB", "RSS at end MiB", "growth %"],
        [
            ["huey_consumer", worker["consumer_rss_warm_mib"], worker["consumer_rss_end_mib"],
             worker["consumer_growth_pct"]],
            ["forkserver + sandboxes", worker["sandboxes_rss_warm_mib"], worker["sandboxes_rss_end_mib"], "-"],
            ["largest sandbox seen", "-", worker["largest_sandbox_mib"], "-"],
        ],
    )  # fmt: skip
    peaks = memory.per_parse_peaks()
    table(
        "4b. Peak memory of one parse, per format (MiB over the process's RSS before it)",
        ["format", "files", "median MiB", "max MiB"],
        [[kind, row["files"], row["median_mib"], row["max_mib"]] for kind, row in peaks.items()],
    )
    return {"worker": worker, "per_parse_peak": peaks}


def _run_script(args: list[str]) -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True)
    output = done.stdout + (f"\n(exit {done.returncode}) {done.stderr[-2000:]}" if done.returncode else "")
    return output, time.perf_counter() - started


def section_extraction(args: argparse.Namespace) -> dict[str, Any]:
    out = RESULTS / "compare.json"
    command = ["bench/compare.py", "--rounds", str(args.compare_rounds), "--skip-ocr", "--out", str(out)]
    if args.skip_markitdown:
        command.append("--skip-markitdown")
    output, seconds = _run_script(command)
    print(f"\n5. Extraction: pipeline vs the raw pypdfium2 floor vs markitdown (bench/compare.py, {seconds:.0f} s)")
    print("\n".join("   " + line for line in output.rstrip().splitlines()))
    if not out.exists():
        return {"output": output}
    data = json.loads(out.read_text())
    return {"ratios": data.get("ratios", {}), "rows": data.get("rows", {}), "file": str(out.relative_to(REPO))}


def section_layout(args: argparse.Namespace) -> dict[str, Any]:
    out = RESULTS / "layout.json"
    command = ["bench/layout.py", "--repeat", str(args.layout_repeat), "--out", str(out)]
    output, seconds = _run_script(command)
    print(f"\n5b. Layout analysis: PDFs with layout on and off vs raw pypdfium2, headings and tables vs docling"
          f" (bench/layout.py, {seconds:.0f} s)")  # fmt: skip
    print("\n".join("   " + line for line in output.rstrip().splitlines()))
    if not out.exists():
        return {"output": output}
    return json.loads(out.read_text())


def section_chunks(args: argparse.Namespace) -> dict[str, Any]:
    out = RESULTS / "chunks.json"
    command = ["bench/chunks.py", "--json", str(out), *(["--quick"] if args.quick else [])]
    output, seconds = _run_script(command)
    print(f"\n5c. Chunking: time against parsing, memory, retrieval recall@5 (bench/chunks.py, {seconds:.0f} s)")
    print("\n".join("   " + line for line in output.rstrip().splitlines()))
    if not out.exists():
        return {"output": output}
    return json.loads(out.read_text())


def _chunk_goals(chunks: dict[str, Any]) -> list[list[Any]]:
    """Chunking adds at most 10 % to parsing (by_title, words: the stage's defaults), the chunk pipeline stays
    in the worker's memory on the 1,225-page text, and by_title chunks find at least as much as plain windows."""
    rows: list[list[Any]] = []
    defaults = [row for row in chunks.get("timing", []) if (row["strategy"], row["tokenizer"]) == ("by_title", "words")]
    if defaults:
        worst, goal = max(row["chunk_vs_parse_pct"] for row in defaults), GOALS["chunk_vs_parse_pct"]
        rows.append(["chunking / parsing, by_title (worst PDF)", f"<= {goal:.0f} %", worst, worst <= goal])
    peak = chunks.get("memory", {}).get("chunk", {}).get("peak_rss_mb")
    if peak is not None:
        goal = GOALS["chunk_worker_mb"]
        rows.append(["peak RSS, 1,225 pages with chunk", f"<= {goal:.0f} MB", peak, peak <= goal])
    retrieval = chunks.get("retrieval", {})
    titled, windows = retrieval.get("by_title"), retrieval.get("plain 512-token windows")
    if titled and windows:
        for kind in ("words", "section"):
            ours, theirs = titled[kind]["recall_at_5"], windows[kind]["recall_at_5"]
            rows.append([f"recall@5 by_title ({kind} questions)", f">= windows {theirs:.3f}", ours, ours >= theirs])
    return rows


def section_other(args: argparse.Namespace) -> dict[str, Any]:
    """The OCR/limits and audit-query benchmarks, as they print themselves (smaller runs than their defaults)."""
    import psycopg

    from bench.common import DATABASE

    admin = os.environ.get("DOCPIPE_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    audit_db = f"{DATABASE}_audit"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{audit_db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{audit_db}"')
    commands = {
        "ocr_and_limits": ["bench/ocr_and_limits.py", "--jobs", str(args.sandbox_jobs)],
        "audit_query": ["bench/audit_query.py", "--events", str(args.audit_events),
                        "--postgres", f"{admin.rpartition('/')[0]}/{audit_db}", "--out", str(RESULTS / "audit.json")],
    }  # fmt: skip
    result = {}
    for name, command in commands.items():
        output, seconds = _run_script(command)
        print(f"\n6. {' '.join(command[:1])} ({seconds:.0f} s)")
        print("\n".join("   " + line for line in output.rstrip().splitlines()))
        result[name] = {"seconds": seconds, "output": output}
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{audit_db}" WITH (FORCE)')
    return result


RUNNERS = {
    "overhead": section_overhead,
    "scaling": section_scaling,
    "api": section_api,
    "memory": section_memory,
    "extraction": section_extraction,
    "layout": section_layout,
    "chunks": section_chunks,
    "other": section_other,
}


# --- goals and the whole run -------------------------------------------------------------------------------------


def goals(report: dict[str, Any]) -> list[list[Any]]:
    rows = []
    over = report.get("overhead")
    if over:
        for backend in ("sqlite", "postgresql"):
            value = over[backend]["single"]["overhead_p50_ms"]
            rows.append([f"overhead p50, {backend}", f"<= {GOALS['overhead_p50_ms']:.0f} ms", value,
                         value <= GOALS["overhead_p50_ms"]])  # fmt: skip
            ratio = over[backend]["ratio_to_in_process"]
            rows.append([f"e2e / in-process, {backend}", f">= {GOALS['e2e_vs_in_process']:.2f}", ratio,
                         ratio >= GOALS["e2e_vs_in_process"]])  # fmt: skip
    api = report.get("api")
    if api and "get_job" in api:
        value, goal = api["get_job"]["req_per_s"], GOALS["get_job_req_per_s"]
        rows.append(["GET job req/s", f">= {goal:.0f}", value, value >= goal])
        for name in ("get_job", "list_jobs"):
            value = api[name]["p99_ms"]
            rows.append([f"{name} p99", f"<= {GOALS['api_p99_ms']:.0f} ms", value, value <= GOALS["api_p99_ms"]])
    mem = report.get("memory")
    if mem:
        value = mem["worker"]["consumer_growth_pct"]
        rows.append(["worker RSS growth", f"<= {GOALS['worker_rss_growth_pct']:.0f} %", value,
                     value <= GOALS["worker_rss_growth_pct"]])  # fmt: skip
    lay = report.get("layout")
    if lay and "speed" in lay:
        rates = lay["speed"]["pages_per_s"]
        for key, goal_key, label in (("layout_on", "layout_pages_per_s", "PDF pages/s, layout on"),
                                     ("layout_off", "text_only_pages_per_s", "PDF pages/s, layout off")):  # fmt: skip
            goal = GOALS[goal_key]
            rows.append([f"{label} (raw {rates['raw']:.0f})", f">= {goal:.0f}", rates[key], rates[key] >= goal])
        value, goal = lay["headings"]["mean_f1"], GOALS["heading_f1"]
        rows.append(["heading F1 vs docling (mean of 3)", f">= {goal:.1f}", value, value >= goal])
    if report.get("chunks"):
        rows += _chunk_goals(report["chunks"])
    return [[name, goal, value, "met" if ok else "MISSED"] for name, goal, value, ok in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="small sizes: checks that every section runs")
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--singles", type=int, default=40)
    parser.add_argument("--scaling-jobs", type=int, default=300)
    parser.add_argument("--api-jobs", type=int, default=1_000_000)
    parser.add_argument("--wrk-seconds", type=int, default=30)
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--memory-jobs", type=int, default=1000)
    parser.add_argument("--compare-rounds", type=int, default=2)
    parser.add_argument("--skip-markitdown", action="store_true")
    parser.add_argument("--layout-repeat", type=int, default=3, help="bench/layout.py --repeat")
    parser.add_argument("--sandbox-jobs", type=int, default=300, help="bench/ocr_and_limits.py --jobs")
    parser.add_argument("--audit-events", type=int, default=200_000, help="bench/audit_query.py --events")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    if args.quick:
        args.jobs, args.singles, args.scaling_jobs, args.api_jobs = 60, 10, 40, 20_000
        args.wrk_seconds, args.memory_jobs, args.compare_rounds = 5, 100, 1
        args.sandbox_jobs, args.audit_events, args.layout_repeat = 50, 20_000, 1
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    about = machine()
    print(
        f"Docpipe performance report - {about['cores']} cores, {about['cpu']}, {about['ram_gib']} GiB RAM, "
        f"Python {about['python']}, load average at start {about['load_average']:.2f}"
    )
    report: dict[str, Any] = {"machine": about, "arguments": vars(args) | {"out": str(args.out)}, "seconds": {}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for name in sections:
        t0 = time.perf_counter()
        report[name] = RUNNERS[name](args)
        report["seconds"][name] = time.perf_counter() - t0
        args.out.write_text(json.dumps(report, indent=2, default=str))  # what ran so far survives a later failure
    report["seconds"]["total"] = time.perf_counter() - started
    report["machine"]["load_average_at_end"] = os.getloadavg()[0]
    report["goals"] = goals(report)
    if report["goals"]:
        table("Goals", ["figure", "goal", "measured", ""], report["goals"])
    table("Time per section", ["section", "seconds"], [[k, v] for k, v in report["seconds"].items()])
    print(f"\nload average at end {report['machine']['load_average_at_end']:.2f}; written to {args.out}")
    args.out.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
