"""Section 4 of the report: a worker's memory over many mixed jobs, and the peak memory of one parse per format.

Worker: one huey_consumer (2 threads) on the embedded default runs ``--jobs`` jobs cycling through the corpus's
documents of every kind (scans and images aside: OCR would take the whole time budget; hostile bad_* files
included, so failed jobs and replaced sandbox children are part of it). Its RSS, and that of its sandbox
processes, is sampled as the jobs finish; growth is the last sample against the one after the first 10 %.

Per parse: a warmed-up process forks a child per document (as the sandbox does) which resets its peak RSS
(/proc/self/clear_refs) and runs the stages (run_pipeline); its peak over its RSS before the parse is what that
document needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import APP_DIR, CORPUS, REPO, BenchService, job_rows, percentile

KINDS = ("csv", "docx", "eml", "html", "md", "msg", "pdf", "pptx", "txt", "xlsx", "bad")
MAX_BYTES = 1_300_000


def mixed_files() -> list[Path]:
    files = []
    for path in sorted(CORPUS.iterdir()):
        kind = path.name.split("_", 1)[0]
        if ".expected." in path.name or kind not in KINDS or path.name.startswith(("pdf_large", "pdf_scan")):
            continue
        if path.stat().st_size <= MAX_BYTES:
            files.append(path)
    return files


def _kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                children = [int(v) for v in task.read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


class RssSampler(threading.Thread):
    def __init__(self, pid: int, service: BenchService, since: str) -> None:
        super().__init__(daemon=True)
        self.pid, self.service, self.since = pid, service, since
        self.samples: list[dict[str, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            done = sum(1 for row in job_rows(self.service.database_url, self.since) if row["finished_at"])
            children = [_kib(pid, "VmRSS") for pid in _descendants(self.pid)]
            self.samples.append(
                {
                    "done": done,
                    "consumer_mib": _kib(self.pid, "VmRSS") / 1024,
                    "children_mib": sum(children) / 1024,
                    "largest_child_mib": max(children, default=0) / 1024,
                }
            )


def worker_rss(jobs: int) -> dict[str, Any]:
    files = mixed_files()
    plan = [files[i % len(files)] for i in range(jobs)]
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-") as tmp:
        service = BenchService(Path(tmp), "sqlite")
        try:
            service.start(consumers=1, threads=2)
            sampler = RssSampler(service.consumers[0].pid, service, "")
            sampler.start()
            for path in plan:
                service.inner.submit(path)
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                rows = job_rows(service.database_url)
                if len(rows) >= jobs and all(row["finished_at"] for row in rows):
                    break
                time.sleep(1)
            sampler.stop.set()
            sampler.join()
            rows = job_rows(service.database_url)
        finally:
            service.stop()
    samples = sampler.samples
    warm = next((s for s in samples if s["done"] >= jobs // 10), samples[0])
    last = samples[-1]
    return {
        "jobs": len(rows),
        "distinct_files": len(files),
        "failed": sum(row["status"] == "failed" for row in rows),
        "consumer_rss_warm_mib": warm["consumer_mib"],
        "consumer_rss_end_mib": last["consumer_mib"],
        "consumer_growth_pct": 100 * (last["consumer_mib"] - warm["consumer_mib"]) / warm["consumer_mib"],
        "sandboxes_rss_warm_mib": warm["children_mib"],
        "sandboxes_rss_end_mib": last["children_mib"],
        "largest_sandbox_mib": max(s["largest_child_mib"] for s in samples),
        "samples": samples,
    }


PEAK_CHILD = r"""
import json, os, sys, time
from hashlib import sha256
from pathlib import Path
from webapp.pipeline.config import default_stages
from webapp.pipeline.document import Source
from webapp.pipeline.runner import PipelineFailed, run_pipeline

def kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

stages = default_stages()
files = [Path(name) for name in json.loads(sys.stdin.read())]
for path in files[:3]:  # imports and first-use set-up are not a parse's memory
    data = path.read_bytes()
    try:
        run_pipeline(Source(path, path.name, len(data), sha256(data).hexdigest()), stages)
    except PipelineFailed:
        pass
for path in files:  # each in a fresh fork of this warm process, as the sandbox runs a document
    data = path.read_bytes()
    source = Source(path, path.name, len(data), sha256(data).hexdigest())
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        continue
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    before = kib("VmRSS")
    t0 = time.perf_counter()
    try:
        run_pipeline(source, stages)
        ok = True
    except PipelineFailed:
        ok = False
    print(json.dumps({"file": path.name, "peak_kib": kib("VmHWM") - before, "ok": ok,
                      "ms": (time.perf_counter() - t0) * 1000}), flush=True)
    os._exit(0)
"""


def per_parse_peaks() -> dict[str, Any]:
    files = mixed_files()
    code = f"import sys; sys.path.insert(0, {str(APP_DIR)!r})\n" + PEAK_CHILD
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps([str(path) for path in files]),
        capture_output=True,
        text=True,
        cwd=APP_DIR,
        check=True,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    per_kind: dict[str, list[float]] = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        kind = record["file"].split("_", 1)[0]
        per_kind.setdefault(kind, []).append(record["peak_kib"] / 1024)
    return {
        kind: {"files": len(values), "median_mib": percentile(values, 50), "max_mib": max(values)}
        for kind, values in sorted(per_kind.items())
    }
