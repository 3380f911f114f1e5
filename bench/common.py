"""What the report's sections share: the machine, real services (gunicorn + huey_consumer) on SQLite or on
PostgreSQL + a Redis of their own, per-job figures read from the database, and CPU accounting from /proc."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DOCPIPE_BENCH_CORPUS", REPO.parent / "shared" / "corpus"))
# The code that the services run: this checkout, or another one (BENCH_APP_DIR) for before/after figures.
APP_DIR = Path(os.environ.get("BENCH_APP_DIR", REPO))
# A database of the bench's own (never "test": CI's), dropped and created for each run.
DATABASE = os.environ.get("DOCPIPE_BENCH_DATABASE", "docpipe_bench")
# The bench counts every API request against a key's rate limit, like production, with a limit it cannot hit.
BENCH_RATE_LIMIT = "100000000/minute"
# Small real documents: the platform's cost shows, not the parsers'.
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


def small_files(count: int) -> list[Path]:
    return [CORPUS / SMALL[i % len(SMALL)] for i in range(count)]


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_average": os.getloadavg()[0],
    }


# --- CPU accounting ----------------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _busy_idle() -> tuple[float, float]:
    fields = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, idle


def _process_cpu() -> dict[int, tuple[str, int, float]]:
    """pid -> (command, parent pid, CPU seconds of it and its reaped children)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name, rest = raw[raw.index("(") + 1 : raw.rindex(")")], raw[raw.rindex(")") + 2 :].split()
        utime, stime, cutime, cstime = (int(v) for v in rest[11:15])
        found[int(stat.parent.name)] = (cmdline or name, int(rest[1]), (utime + stime + cutime + cstime) / _TICK)
    return found


def _category(command: str) -> str:
    """The kind of a process of the benchmarked service; "" for the rest (the bench client, other work)."""
    if "gunicorn" in command:
        return "web (gunicorn)"
    if "huey_consumer" in command or "multiprocessing" in command:
        return "consumers + sandboxes"  # the in-process workers' sandboxes too (same forkserver command)
    if command.startswith("postgres") or "postgres:" in command:
        return "postgresql"
    if "redis-server" in command:
        return "redis"
    if command.startswith("wrk"):
        return "wrk"
    if "inproc.serve()" in command:
        return "in-process workers"
    return ""


@dataclass
class CpuMeter:
    """System-wide CPU use between start() and stop(), and the share of it per kind of process."""

    started: float = 0.0
    busy_idle: tuple[float, float] = (0.0, 0.0)
    before: dict[int, tuple[str, int, float]] = field(default_factory=dict)

    def start(self) -> CpuMeter:
        self.started, self.busy_idle, self.before = time.monotonic(), _busy_idle(), _process_cpu()
        return self

    def stop(self) -> dict[str, Any]:
        wall = time.monotonic() - self.started
        busy, idle = _busy_idle()
        busy, idle = busy - self.busy_idle[0], idle - self.busy_idle[1]
        cores = os.cpu_count() or 1
        busy_cores = cores * busy / (busy + idle) if busy + idle else 0.0
        # Per kind: each process's CPU time (its own and its reaped children's) since start(), or all of it when
        # it started later. A process that ended in between is left out: its children's time, if any, is
        # then lost, but never counted against a kind (the forkserver of an earlier run's processes, say).
        per: dict[str, float] = {}
        for pid, (command, _, seconds) in _process_cpu().items():
            kind = _category(command)
            old = self.before.get(pid)
            if kind:
                per[kind] = per.get(kind, 0.0) + seconds - (old[2] if old and old[0] == command else 0.0)
        used = {name: round(max(0.0, seconds) / wall, 3) for name, seconds in sorted(per.items())}
        used["everything else"] = round(max(0.0, busy_cores - sum(used.values())), 3)
        return {"wall_s": wall, "cpu_busy_pct": 100 * busy_cores / cores, "cores_used": used, "cores": cores}


# --- services ----------------------------------------------------------------------------------------------------


def _service_module():
    import sys

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.e2e import service

    return service


def bench_env(data_dir: Path, backend: str, redis_url: str | None = None) -> dict[str, str]:
    """The environment for real processes on ``backend`` ("sqlite" or "postgresql")."""
    service = _service_module()
    extra = {
        "DOCPIPE_LOG_LEVEL": "WARNING",
        "DOCPIPE_API_RATE_LIMIT": BENCH_RATE_LIMIT,
        "PROMETHEUS_MULTIPROC_DIR": str(data_dir / "metrics"),
    }
    (data_dir / "metrics").mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        return service.service_env(data_dir, **extra)
    return service.production_env(data_dir, database=DATABASE, redis_url=redis_url, **extra)


class BenchService:
    """gunicorn started as deployed (gunicorn.conf.py) and consumers as scripts/run.sh starts them."""

    def __init__(self, data_dir: Path, backend: str, web_workers: int = 2) -> None:
        service = _service_module()
        self.backend = backend
        self.redis = service.OwnRedis() if backend == "postgresql" else None
        if self.redis:
            self.redis.start()
        env = bench_env(data_dir, backend, self.redis.url if self.redis else None)
        env |= {"DOCPIPE_BIND": "127.0.0.1:0", "DOCPIPE_WEB_WORKERS": str(web_workers)}
        self.inner = service.Service(data_dir, env)
        self.inner.env["DOCPIPE_BIND"] = f"127.0.0.1:{self.inner.port}"
        self.consumers: list[subprocess.Popen] = []

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        with (self.inner.data_dir / log_name).open("ab") as log:
            process = subprocess.Popen(
                args, cwd=APP_DIR, env=self.inner.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.inner.processes.append(process)
        return process

    def start(self, consumers: int = 1, threads: int = 2) -> None:
        bin_dir = _service_module().BIN
        self.inner.flask("setup")
        email = self.inner.env.get("DOCPIPE_ADMIN_EMAIL", "admin@localhost")
        out = self.inner.flask("api-keys", "create", "--email", email, "--name", "bench")
        self.inner.api_key = out.strip().splitlines()[-1]
        self._spawn([str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], "web.log")
        self.inner.wait_for(self.inner._up, 60, "gunicorn to answer")
        for index in range(consumers):
            self.start_consumer(threads, index)
        self.inner.wait_for(lambda: self.workers_alive() >= consumers, 60, "the consumers")

    def start_consumer(self, threads: int, index: int) -> None:
        bin_dir = _service_module().BIN
        args = [str(bin_dir / "huey_consumer"), "webapp.worker.huey", "--workers", str(threads)]
        args += ["--worker-type", "thread", "--delay", "0.05", "--max-delay", "0.25"]
        self.consumers.append(self._spawn(args, f"consumer-{index}.log"))

    def workers_alive(self) -> int:
        status, body = self.inner.get("/healthz")
        try:
            return int(body["components"]["workers"]["alive"])
        except (TypeError, KeyError, ValueError):
            return 0

    def stop(self) -> None:
        self.inner.stop()
        if self.redis:
            self.redis.kill()

    @property
    def database_url(self) -> str:
        url = self.inner.env.get("DOCPIPE_DATABASE_URL")
        return url or f"sqlite:///{self.inner.data_dir / 'docpipe.db'}"


def job_rows(database_url: str, since_id: str = "") -> list[dict[str, Any]]:
    """Every job after ``since_id`` with its timestamps, worker and the sum of its stage timings."""
    from sqlalchemy import create_engine, text

    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    query = text(
        "SELECT j.id, j.status, j.worker_id, j.created_at, j.started_at, j.finished_at, "
        "(SELECT COALESCE(SUM(r.duration_ms), 0) FROM job_stage_runs r WHERE r.job_id = j.id "
        " AND r.attempt = j.attempts) AS stages_ms FROM jobs j WHERE j.id > :since ORDER BY j.id"
    )
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query, {"since": since_id})]
    engine.dispose()
    for row in rows:
        for key in ("created_at", "started_at", "finished_at"):
            row[key] = _as_epoch(row[key])
    return rows


def _as_epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)  # the app stores UTC
    return value.timestamp()
