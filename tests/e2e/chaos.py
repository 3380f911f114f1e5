"""Chaos run: real web and consumer processes on PostgreSQL and a Redis of our own, under SIGKILLs and
Redis restarts. Used by tests/e2e/test_chaos.py (short) and ``make chaos`` (python -m tests.e2e.chaos)."""

from __future__ import annotations

import argparse
import os
import random
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg

from tests.conftest import corpus_file
from tests.e2e.service import OwnRedis, Service, drop_database, production_env

GOOD = [
    "docx_docling_lorem_ipsum.docx",
    "html_docling_example_03.html",
    "csv_docling_csv-comma.csv",
    "pdf_docling_multi_page.pdf",
    "md_docling_wiki.md",
    "pdf_arxiv_2201.00029.pdf",
    "pdf_large_GeoTopo_117p.pdf",
    "xlsx_docling_xlsx_01.xlsx",
    "pptx_docling_pptx_chart.pptx",
    "eml_fake-email-attachment.eml",
]
BAD = ["bad_pdf_truncated_derived.pdf", "bad_pdf_encrypted_userpw_libreoffice.pdf"]


def run(jobs: int, kills: int, redis_restarts: int, web_kills: int, consumers: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    redis_server = OwnRedis()
    redis_server.start()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="docpipe-chaos-") as tmp:
        database = f"docpipe_chaos_{os.getpid()}"
        env = production_env(
            Path(tmp),
            database=database,
            redis_url=redis_server.url,
            DOCPIPE_WORKER_HEARTBEAT_SECONDS="1",
            DOCPIPE_JOB_LEASE_SECONDS="3",
            DOCPIPE_RECOVERY_INTERVAL_SECONDS="1",
            DOCPIPE_JOB_REQUEUE_AFTER_SECONDS="5",
            DOCPIPE_JOB_MAX_ATTEMPTS="10",
            DOCPIPE_LOG_LEVEL="WARNING",
        )
        service = Service(Path(tmp), env)
        try:
            service.setup()
            web = service.start_web()
            names = [BAD[n % len(BAD)] if n % 25 == 24 else GOOD[n % len(GOOD)] for n in range(jobs)]
            # Everything waits in the queue first, so the chaos below hits consumers in the middle of work.
            expected = {service.submit(corpus_file(name))["id"]: name in BAD for name in names}
            workers = [service.start_consumer(workers=2) for _ in range(consumers)]
            events = ["kill"] * kills + ["redis"] * redis_restarts + ["web"] * web_kills
            rng.shuffle(events)
            for event in events:
                time.sleep(rng.uniform(0.3, 1.2))
                if event == "kill":
                    victim = workers.pop(rng.randrange(len(workers)))
                    os.killpg(victim.pid, signal.SIGKILL)
                    victim.wait(10)
                    workers.append(service.start_consumer(workers=2))
                elif event == "redis":
                    redis_server.kill()
                    time.sleep(0.5)
                    redis_server.start()
                else:
                    os.killpg(web.pid, signal.SIGKILL)
                    web.wait(10)
                    web = service.start_web()
            figures = _settle(env["DOCPIPE_DATABASE_URL"], expected, timeout=300)
        finally:
            service.stop()
            redis_server.kill()
            drop_database(database)
    figures.update(
        jobs=jobs,
        kills=kills,
        redis_restarts=redis_restarts,
        web_kills=web_kills,
        wall_seconds=round(time.monotonic() - started, 1),
    )
    return figures


def _settle(database_url: str, expected: dict[str, bool], timeout: float) -> dict:
    """Wait until every job has finished (or the timeout), then count from the database itself."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            open_jobs = conn.execute("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')").fetchone()[0]
            if open_jobs == 0:
                break
            time.sleep(0.5)
        rows = conn.execute("SELECT id, status, attempts FROM jobs").fetchall()
        results = Counter(row[0] for row in conn.execute("SELECT job_id FROM results"))
        succeeded_events = Counter(
            row[0] for row in conn.execute("SELECT resource_id FROM audit_events WHERE action = 'job.succeeded'")
        )
    status = {row[0]: row[1] for row in rows}
    lost = [job for job in expected if status.get(job) not in ("succeeded", "failed")]
    wrong = [job for job, bad in expected.items() if status.get(job) == ("succeeded" if bad else "failed")]
    duplicates = sum(count - 1 for count in results.values() if count > 1)
    duplicates += sum(count - 1 for count in succeeded_events.values() if count > 1)
    return {
        "succeeded": sum(1 for s in status.values() if s == "succeeded"),
        "failed": sum(1 for s in status.values() if s == "failed"),
        "lost": len(lost),
        "wrong_outcome": len(wrong),
        "duplicates": duplicates,
        "results_missing": sum(1 for job, s in status.items() if s == "succeeded" and not results[job]),
        "reruns": sum(max(0, row[2] - 1) for row in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Docpipe chaos run")
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--redis-restarts", type=int, default=3)
    parser.add_argument("--web-kills", type=int, default=1)
    parser.add_argument("--consumers", type=int, default=3)
    args = parser.parse_args()
    figures = run(args.jobs, args.kills, args.redis_restarts, args.web_kills, args.consumers)
    for key, value in figures.items():
        print(f"{key:>16}: {value}")
    if figures["lost"] or figures["duplicates"] or figures["wrong_outcome"] or figures["results_missing"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
