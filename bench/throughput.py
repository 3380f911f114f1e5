"""Platform overhead: the same small real documents in-process and end to end (HTTP → queue → worker).

    .venv/bin/python bench/throughput.py [--jobs N] [--queue-workers N]

In-process: the ``extract`` service, one process, sequentially. End to end: gunicorn (2 workers) and one
huey_consumer (``--queue-workers`` threads) on the embedded default (SQLite + SqliteHuey) in a temp data dir;
every job is submitted over HTTP, then the run waits for all of them. Per job, overhead is
(finished_at - created_at) minus the sum of its stage timings: the time spent in the platform, not parsing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.service import Service, service_env  # noqa: E402
from webapp.pipeline.config import default_stages  # noqa: E402
from webapp.services.extract import extract_file  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
SMALL = [
    "docx_docling_lorem_ipsum.docx",
    "docx_docling_word_sample.docx",
    "docx_category-level.docx",
    "html_docling_example_03.html",
    "html_tika_testHTML.html",
    "csv_docling_csv-comma.csv",
    "md_docling_wiki.md",
    "txt_norwich-city.txt",
    "pdf_docling_multi_page.pdf",
    "pdf_docling_code_and_formula.pdf",
    "pdf_fake-memo.pdf",
    "pdf_arxiv_2201.00029.pdf",
]


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def in_process(files: list[Path]) -> dict:
    stages = default_stages()
    started = time.perf_counter()
    per_doc = []
    for path in files:
        t0 = time.perf_counter()
        extract_file(path, stages)
        per_doc.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    return {
        "jobs": len(files),
        "seconds": elapsed,
        "jobs_per_s": len(files) / elapsed,
        "p50_ms": percentile(per_doc, 50),
    }


def _job_figures(jobs: list[dict]) -> dict[str, list[float]]:
    """Per job: submit→succeeded latency, time waiting in the queue, and worker time outside the stages."""
    latency, waiting, overhead = [], [], []
    for job in jobs:
        created, started, finished = (_ts(job[key]) for key in ("created_at", "started_at", "finished_at"))
        stages_ms = sum(stage["duration_ms"] or 0 for stage in job["stages"])
        latency.append((finished - created) * 1000)
        waiting.append((started - created) * 1000)
        overhead.append((finished - created) * 1000 - stages_ms)
    return {"latency": latency, "waiting": waiting, "overhead": overhead}


def end_to_end(files: list[Path], queue_workers: int, singles: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-") as tmp:
        service = Service(Path(tmp), service_env(Path(tmp), DOCPIPE_LOG_LEVEL="WARNING"))
        try:
            service.setup()
            service.start_web()
            service.start_consumer(workers=queue_workers)
            service.wait_for(lambda: service.get("/healthz")[1]["components"]["workers"]["alive"], 30, "the worker")
            # One at a time on an idle service: the latency a user feels for one small document.
            single_jobs = []
            for path in files[:singles]:
                job_id = service.submit(path)["id"]
                single_jobs.append(service.wait_finished(job_id, timeout=60))
            # A burst: everything submitted at once, throughput until the last one is done.
            started = time.perf_counter()
            ids = [service.submit(path)["id"] for path in files]
            submit_seconds = time.perf_counter() - started
            jobs = [service.wait_finished(job_id, timeout=300) for job_id in ids]
            elapsed = time.perf_counter() - started
        finally:
            service.stop()
    single = _job_figures(single_jobs)
    burst = _job_figures(jobs)
    return {
        "jobs": len(jobs),
        "failed": sum(job["status"] != "succeeded" for job in jobs + single_jobs),
        "seconds": elapsed,
        "submit_per_s": len(jobs) / submit_seconds,
        "jobs_per_s": len(jobs) / elapsed,
        "single_latency_p50_ms": percentile(single["latency"], 50),
        "single_latency_p95_ms": percentile(single["latency"], 95),
        "single_overhead_p50_ms": percentile(single["overhead"], 50),
        "single_overhead_p95_ms": percentile(single["overhead"], 95),
        "burst_queue_wait_p50_ms": percentile(burst["waiting"], 50),
        "burst_overhead_minus_wait_p50_ms": percentile(
            [o - w for o, w in zip(burst["overhead"], burst["waiting"], strict=True)], 50
        ),
        "burst_overhead_mean_ms": statistics.fmean(burst["overhead"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--queue-workers", type=int, default=2)
    parser.add_argument("--singles", type=int, default=30, help="jobs sent one at a time to an idle service")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "throughput.json")
    args = parser.parse_args()
    files = [CORPUS / SMALL[i % len(SMALL)] for i in range(args.jobs)]

    local = in_process(files)
    remote = end_to_end(files, args.queue_workers, args.singles)
    print(f"{args.jobs} small real documents ({len(SMALL)} distinct), embedded default (SQLite + SqliteHuey)")
    print(f"  in-process extract : {local['jobs_per_s']:7.1f} docs/s  (p50 {local['p50_ms']:.1f} ms per document)")
    print(
        f"  end to end (HTTP)  : {remote['jobs_per_s']:7.1f} jobs/s  ({remote['failed']} failed; submit "
        f"{remote['submit_per_s']:.0f}/s; {args.queue_workers} consumer threads)"
    )
    print(f"  ratio e2e / in-process throughput: {remote['jobs_per_s'] / local['jobs_per_s']:.2f}")
    print(
        f"  one document at a time, idle service: submit → succeeded p50 {remote['single_latency_p50_ms']:.0f} ms, "
        f"p95 {remote['single_latency_p95_ms']:.0f} ms; "
        f"platform overhead p50 {remote['single_overhead_p50_ms']:.0f} ms, "
        f"p95 {remote['single_overhead_p95_ms']:.0f} ms"
    )
    print(
        f"  burst: queue wait p50 {remote['burst_queue_wait_p50_ms']:.0f} ms; worker time outside the stages "
        f"p50 {remote['burst_overhead_minus_wait_p50_ms']:.1f} ms"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"in_process": local, "end_to_end": remote}, indent=2))
    print(f"  written to {args.out}")


if __name__ == "__main__":
    main()
