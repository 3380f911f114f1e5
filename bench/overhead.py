"""Sections 1 and 2 of the report: platform overhead and scaling with consumer processes.

Platform overhead: the same small real documents (a) in-process, in as many processes as the service parses
at once, and (b) end to end: submitted over HTTP to gunicorn, queued, claimed and run by huey_consumer, on
SQLite + SqliteHuey and on PostgreSQL + Redis. Per job, overhead = (finished_at - created_at) minus the sum
of its stage timings: the time spent in the platform rather than parsing. Measured one document at a time on
an idle service (what a user feels) and over a burst (throughput).

Scaling: 1, 2 and 4 consumer processes of one worker thread each on PostgreSQL + Redis, with the machine's
CPU use per kind of process, the dispatch gap (how long a worker that finished a job waited before it started
the next one while jobs were queued: polling delay and claim cost) and the worker's time outside the stages
(database writes, sandbox hand-over: lock contention would show here).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import APP_DIR, REPO, BenchService, CpuMeter, job_rows, percentile, small_files


def in_process(files: list[Path], processes: int, mode: str) -> dict[str, Any]:
    """``processes`` workers extracting their share of ``files`` at the same time, each warmed up first."""
    code = f"import sys; sys.path[:0] = [{str(APP_DIR)!r}, {str(REPO / 'bench')!r}]; import inproc; inproc.serve()"
    workers = []
    for index in range(processes):
        share = [str(path) for path in files[index::processes]]
        worker = subprocess.Popen(
            [sys.executable, "-c", code], cwd=APP_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        worker.stdin.write(json.dumps({"mode": mode, "files": share}) + "\n")
        worker.stdin.flush()
        workers.append(worker)
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    meter = CpuMeter().start()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = [json.loads(worker.stdout.readline()) for worker in workers]
    cpu = meter.stop()
    for worker in workers:
        worker.wait(30)
    seconds = max(r["finished"] for r in results) - min(r["started"] for r in results)
    per_doc = [ms for r in results for ms in r["ms"]]
    return {
        "mode": mode,
        "processes": processes,
        "jobs": len(files),
        "seconds": seconds,
        "jobs_per_s": len(files) / seconds,
        "doc_p50_ms": percentile(per_doc, 50),
        "cpu": cpu,
    }


def _wait_all_done(service: BenchService, since: str, count: int, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        rows = job_rows(service.database_url, since)
        if len(rows) >= count and all(row["status"] in ("succeeded", "failed", "cancelled") for row in rows):
            return rows
        if time.monotonic() > deadline:
            raise RuntimeError(f"{sum(r['finished_at'] is not None for r in rows)}/{count} jobs done in {timeout} s")
        time.sleep(0.25)


def _last_id(service: BenchService) -> str:
    rows = job_rows(service.database_url)
    return rows[-1]["id"] if rows else ""


IDLE_SECONDS = 1.0


def singles(service: BenchService, files: list[Path]) -> dict[str, Any]:
    """One document at a time on an idle service: each submitted IDLE_SECONDS after the previous one finished,
    so a consumer that backs off while nothing comes is measured as a user meets it."""
    since = _last_id(service)
    client_ms = []
    for path in files:
        time.sleep(IDLE_SECONDS)
        t0 = time.perf_counter()
        job_id = service.inner.submit(path)["id"]
        client_ms.append((time.perf_counter() - t0) * 1000)
        service.inner.wait_finished(job_id, timeout=60)
    rows = job_rows(service.database_url, since)
    latency = [(r["finished_at"] - r["created_at"]) * 1000 for r in rows]
    overhead = [lat - r["stages_ms"] for lat, r in zip(latency, rows, strict=True)]
    wait = [(r["started_at"] - r["created_at"]) * 1000 for r in rows]
    inside = [(r["finished_at"] - r["started_at"]) * 1000 - r["stages_ms"] for r in rows]
    return {
        "jobs": len(rows),
        "failed": sum(r["status"] != "succeeded" for r in rows),
        "latency_p50_ms": percentile(latency, 50),
        "latency_p95_ms": percentile(latency, 95),
        "stages_p50_ms": percentile([r["stages_ms"] for r in rows], 50),
        "overhead_p50_ms": percentile(overhead, 50),
        "overhead_p95_ms": percentile(overhead, 95),
        "queue_wait_p50_ms": percentile(wait, 50),
        "worker_outside_stages_p50_ms": percentile(inside, 50),
        "submit_request_p50_ms": percentile(client_ms, 50),
    }


# Clients submitting at once in a burst: one alone (a request after the other) would measure its own round trips.
CLIENTS = 4


def burst(service: BenchService, files: list[Path]) -> dict[str, Any]:
    """Every document submitted at once by CLIENTS concurrent clients; done when every job is."""
    since = _last_id(service)
    meter = CpuMeter().start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as clients:
        list(clients.map(service.inner.submit, files))
    submit_s = time.perf_counter() - t0
    rows = _wait_all_done(service, since, len(files), timeout=600)
    cpu = meter.stop()
    first = min(r["created_at"] for r in rows)
    last = max(r["finished_at"] for r in rows)
    overhead = [(r["finished_at"] - r["created_at"]) * 1000 - r["stages_ms"] for r in rows]
    inside = [(r["finished_at"] - r["started_at"]) * 1000 - r["stages_ms"] for r in rows]
    return {
        "jobs": len(rows),
        "failed": sum(r["status"] != "succeeded" for r in rows),
        "seconds": last - first,
        "jobs_per_s": len(rows) / (last - first),
        "submit_per_s": len(files) / submit_s,
        "overhead_p50_ms": percentile(overhead, 50),
        "worker_outside_stages_p50_ms": percentile(inside, 50),
        "worker_outside_stages_p95_ms": percentile(inside, 95),
        "stages_mean_ms": statistics.fmean(r["stages_ms"] for r in rows),
        "dispatch_gap": dispatch_gaps(rows),
        "cpu": cpu,
    }


def dispatch_gaps(rows: list[dict]) -> dict[str, float]:
    """Per worker process: start of a job minus the end of its previous one, when the job was already queued
    then. Meaningful with one worker thread per process (a process's jobs are then strictly one after another)."""
    by_worker: dict[str, list[dict]] = {}
    for row in rows:
        by_worker.setdefault(row["worker_id"] or "", []).append(row)
    gaps = []
    for jobs in by_worker.values():
        jobs.sort(key=lambda r: r["started_at"])
        for previous, job in zip(jobs, jobs[1:], strict=False):
            if job["created_at"] < previous["finished_at"]:
                gaps.append((job["started_at"] - previous["finished_at"]) * 1000)
    return {"p50_ms": percentile(gaps, 50), "p95_ms": percentile(gaps, 95), "count": len(gaps)}


def end_to_end(backend: str, files: list[Path], single_count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-") as tmp:
        service = BenchService(Path(tmp), backend)
        try:
            service.start(consumers=1, threads=2)
            burst(service, small_files(12))  # every kind once: imports, the forkserver, caches
            idle = singles(service, files[:single_count])
            many = burst(service, files)
        finally:
            service.stop()
    return {"backend": backend, "single": idle, "burst": many}


def scaling(files: list[Path], counts: tuple[int, ...]) -> list[dict[str, Any]]:
    """PostgreSQL + Redis; one web server; for each count, that many consumer processes of one thread each."""
    results = []
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-") as tmp:
        service = BenchService(Path(tmp), "postgresql")
        try:
            service.start(consumers=0)
            for count in counts:
                for index in range(count):
                    service.start_consumer(1, index)
                service.inner.wait_for(lambda c=count: service.workers_alive() >= c, 60, "the consumers")
                burst(service, small_files(12 * count))  # warm every consumer's sandbox
                result = burst(service, files)
                result["consumers"] = count
                results.append(result)
                for consumer in service.consumers:
                    os.killpg(consumer.pid, signal.SIGKILL)  # with its forkserver and sandboxes
                    consumer.wait(10)
                service.consumers.clear()
                time.sleep(0.5)
        finally:
            service.stop()
    return results
