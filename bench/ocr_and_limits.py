"""OCR and sandbox benchmark: scanned pages per second, OCR F1, per-job cost of the child process, parent RSS.

    .venv/bin/python bench/ocr_and_limits.py [--corpus PATH] [--jobs 1000] [--overhead-jobs 100] [--skip-ocr]

OCR speed: every corpus scan without a text layer (pdf_scan_*, except the two that carry an OCR layer) and every
img_*, parsed like the parse stage does, first with one OCR process at a time (pages per second per core), then
with the OCR pool (DOCPIPE_OCR_WORKERS = number of cores), then as two jobs at once through run_isolated (what a
worker with two threads does). F1 over lower-cased words against the ground truth where there is one.

Sandbox: per-job wall time of run_isolated against run_pipeline over the same small documents (the difference is
the child process: forkserver fork, pipe, pickling), then the parent's RSS across --jobs small jobs through
run_isolated, and the hostile inputs (bombs, timeout) with their outcome and time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.metrics import token_f1  # noqa: E402
from tests.pipeline.hostile import pdf_bomb, png_bomb  # noqa: E402
from webapp.pipeline import ocr  # noqa: E402
from webapp.pipeline.config import StageConfig, default_stages  # noqa: E402
from webapp.pipeline.detect import detect  # noqa: E402
from webapp.pipeline.document import Source  # noqa: E402
from webapp.pipeline.errors import StageError  # noqa: E402
from webapp.pipeline.registry import parser_for  # noqa: E402
from webapp.pipeline.render import to_markdown  # noqa: E402
from webapp.pipeline.runner import PipelineFailed, run_pipeline  # noqa: E402
from webapp.pipeline.sandbox import Limits, run_isolated  # noqa: E402

OPTIONS = {"ocr": "auto", "ocr_languages": ["eng"], "max_pages": 5000, "tables": True, "ocr_max_pages": 5000}
# These two carry an OCR text layer already: parse.ocr = auto rightly leaves them alone.
WITH_TEXT_LAYER = ("pdf_scan_catalogue_1971.pdf", "pdf_scan_scanned.pdf")


def source_for(path: Path) -> Source:
    return Source(path=path, filename=path.name, size_bytes=path.stat().st_size)


def scans(corpus: Path) -> list[Path]:
    pdfs = [path for path in sorted(corpus.glob("pdf_scan_*.pdf")) if path.name not in WITH_TEXT_LAYER]
    images = [path for path in sorted(corpus.glob("img_*")) if ".expected." not in path.name]
    return pdfs + images


def ground_truth(path: Path) -> str | None:
    for suffix in (".expected.md", ".expected.txt"):
        expected = path.with_name(path.name + suffix)
        if expected.exists():
            return expected.read_text(encoding="utf-8")
    return None


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the Tesseract processes): load on the machine from
    elsewhere stretches wall time, much less this."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def ocr_pass(files: list[Path], workers: int) -> tuple[int, float, dict[str, tuple], float]:
    os.environ[ocr.WORKERS_ENV] = str(workers)
    pages, rows, started, started_cpu = 0, {}, time.perf_counter(), cpu_seconds()
    for path in files:
        began, began_cpu = time.perf_counter(), cpu_seconds()
        detection = detect(source_for(path))
        document = parser_for(detection.mime_type).parse(source_for(path), detection, OPTIONS)
        read = document.signals.get("ocr_pages", 0)
        pages += read
        reference = ground_truth(path)
        f1 = token_f1(to_markdown(document), reference) if reference is not None else None
        seconds, cpu = time.perf_counter() - began, cpu_seconds() - began_cpu
        rows[path.name] = (read, seconds, f1, document.signals.get("ocr_confidence"), cpu)
    del os.environ[ocr.WORKERS_ENV]
    return pages, time.perf_counter() - started, rows, cpu_seconds() - started_cpu


def concurrent_pass(files: list[Path]) -> tuple[int, float]:
    """Two jobs at a time through run_isolated, like a worker with two threads."""
    queue = list(files)
    pages = [0]
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                path = queue.pop(0)
            result = run_isolated(source_for(path), default_stages())
            with lock:
                pages[0] += result["quality"]["signals"].get("ocr_pages", 0)

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return pages[0], time.perf_counter() - started


def bench_ocr(corpus: Path) -> None:
    files = scans(corpus)
    cores = len(os.sched_getaffinity(0))
    print(f"OCR over {len(files)} files ({cores} cores, tesseract {ocr.installed_languages() and 'eng'}, 300 dpi)")
    single_pages, single_time, rows, single_cpu = ocr_pass(files, workers=1)
    pool_pages, pool_time, _, pool_cpu = ocr_pass(files, workers=cores)
    run_isolated(source_for(files[0]), default_stages())  # start the forkserver outside the timing
    jobs_pages, jobs_time = concurrent_pass(files)
    print(f"  {'file':40s} {'pages':>5s} {'s':>6s} {'CPU s':>6s} {'conf':>5s} {'F1':>6s}")
    for name, (pages, seconds, f1, confidence, cpu) in rows.items():
        f1_text = f"{f1:6.3f}" if f1 is not None else f"{'-':>6s}"
        conf_text = f"{confidence:5.1f}" if confidence is not None else f"{'-':>5s}"
        print(f"  {name:40s} {pages:5d} {seconds:6.2f} {cpu:6.2f} {conf_text} {f1_text}")
    print(f"\n  {'mode':44s} {'pages':>5s} {'s':>6s} {'pages/s':>8s} {'per core':>8s}")
    for mode, pages, seconds, used in (
        ("one OCR process at a time (per core)", single_pages, single_time, 1),
        (f"OCR pool of {cores}, one document at a time", pool_pages, pool_time, cores),
        ("two jobs at once through run_isolated", jobs_pages, jobs_time, cores),
    ):
        rate = pages / seconds
        print(f"  {mode:44s} {pages:5d} {seconds:6.2f} {rate:8.2f} {rate / used:8.2f}")
    print(
        f"  pages per CPU-second (load-independent per-core figure): {single_pages / single_cpu:.2f} one at a time, "
        f"{pool_pages / pool_cpu:.2f} with the pool"
    )
    scored = [row[2] for row in rows.values() if row[2] is not None]
    print(f"  mean F1 over {len(scored)} files with ground truth: {statistics.mean(scored):.3f}\n")


def small_documents(corpus: Path, count: int) -> list[Path]:
    candidates = sorted(
        path
        for path in corpus.iterdir()
        if path.suffix in (".txt", ".md", ".csv", ".html", ".docx", ".pdf")
        and ".expected." not in path.name
        and not path.name.startswith(("bad_", "pdf_scan_", "img_"))
        and path.stat().st_size < 100_000
        and path.name not in ("README.md",)
    )
    chosen = []
    for path in candidates:
        try:
            run_pipeline(source_for(path), default_stages())
        except (PipelineFailed, StageError):
            continue
        chosen.append(path)
    return [chosen[index % len(chosen)] for index in range(count)]


def per_job_ms(files: list[Path]) -> tuple[list[float], list[float]]:
    """Each document in-process then isolated, alternating, so both see the same machine load."""
    in_process, isolated = [], []
    for path in files:
        for run, times in ((run_pipeline, in_process), (run_isolated, isolated)):
            started = time.perf_counter()
            run(source_for(path), default_stages())
            times.append((time.perf_counter() - started) * 1000)
    return in_process, isolated


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def bench_sandbox(corpus: Path, overhead_jobs: int, jobs: int) -> None:
    files = small_documents(corpus, overhead_jobs)
    run_isolated(source_for(files[0]), default_stages())  # the forkserver starts once per worker process
    in_process, isolated = per_job_ms(files)
    extra = [b - a for a, b in zip(in_process, isolated, strict=True)]
    print(f"Sandbox cost over {len(files)} small documents ({len(set(files))} distinct), ms per job:")
    print(f"  {'':14s} {'mean':>7s} {'p50':>7s} {'p95':>7s}")
    for name, values in (("run_pipeline", in_process), ("run_isolated", isolated), ("difference", extra)):
        p95 = sorted(values)[int(len(values) * 0.95) - 1]
        print(f"  {name:14s} {statistics.mean(values):7.1f} {statistics.median(values):7.1f} {p95:7.1f}")
    samples = []
    work = small_documents(corpus, jobs)
    started = time.perf_counter()
    for index, path in enumerate(work):
        run_isolated(source_for(path), default_stages())
        if index % max(1, jobs // 10) == 0 or index == len(work) - 1:
            samples.append((index + 1, rss_kib()))
    elapsed = time.perf_counter() - started
    print(f"\nParent RSS over {jobs} jobs through run_isolated ({jobs / elapsed:.0f} jobs/s):")
    print("  " + "  ".join(f"{done}:{kib / 1024:.1f}" for done, kib in samples) + "  (jobs:MiB)")
    growth = (samples[-1][1] - samples[1][1]) / 1024 if len(samples) > 1 else 0.0
    print(f"  growth after the first {samples[1][0] if len(samples) > 1 else 0} jobs: {growth:+.1f} MiB\n")


def bench_hostile(corpus: Path) -> None:
    print("Hostile inputs through run_isolated (defaults: 1024 MiB, 300 s):")
    with tempfile.TemporaryDirectory() as folder:
        cases = [
            ("PNG 30000x30000 (150 KB)", png_bomb(Path(folder) / "bomb.png"), default_stages()),
            ("PDF stream inflating to 4 GiB", pdf_bomb(Path(folder) / "bomb.pdf"), default_stages()),
            (
                "619 pages, ocr=always, 2 s limit",
                corpus / "pdf_large_DA-619p.pdf",
                [*default_stages()[:2], StageConfig("parse", {"ocr": "always", "timeout_seconds": 2})]
                + default_stages()[3:],
            ),
        ]
        for name, path, stages in cases:
            started = time.perf_counter()
            try:
                run_isolated(source_for(path), stages, None, Limits.from_stages(stages))
                outcome = "succeeded"
            except PipelineFailed as failure:
                outcome = f"{failure.error['type']} in {failure.error['stage']}: {failure.error['message'][:70]}"
            print(f"  {name:34s} {time.perf_counter() - started:6.2f} s  {outcome}")
    started = time.perf_counter()
    run_isolated(source_for(corpus / "pdf_arxiv_2201.00200.pdf"), default_stages())
    print(f"  {'next document afterwards':34s} {time.perf_counter() - started:6.2f} s  succeeded")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--overhead-jobs", type=int, default=100)
    parser.add_argument("--skip-ocr", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.2f}\n")
    if not args.skip_ocr:
        bench_ocr(args.corpus)
    bench_sandbox(args.corpus, args.overhead_jobs, args.jobs)
    bench_hostile(args.corpus)


if __name__ == "__main__":
    main()
