"""Section 3 of the report: the API under load with 1,000,000 jobs in PostgreSQL.

The jobs (each with its five stage records, as a finished job has) are written by PostgreSQL itself
(INSERT ... SELECT generate_series), not through the API. ``wrk`` then drives gunicorn, started as deployed
(gunicorn.conf.py: 2 workers x 4 threads on 2 cores), for 30 s per endpoint with an API key: GET
/api/v1/jobs/{id} on a random one of the million ids per request, and GET /api/v1/jobs?limit=50. Every request
is authenticated, rate-limit counted (in Redis) and access-logged, as in production.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BenchService, CpuMeter

STAGES = ("ingest", "detect", "parse", "enrich", "output")
WRK_SCRIPT = """
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", string.format("/api/v1/jobs/job_%%026d", math.random(1, %(count)d)))
end
"""


def fill(database_url: str, count: int) -> dict[str, float]:
    """``count`` succeeded jobs of the default pipeline, ids in creation order, with their stage records."""
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        pipeline_id, version_id = conn.execute(
            "SELECT p.id, v.id FROM pipelines p JOIN pipeline_versions v ON v.pipeline_id = p.id "
            "WHERE p.name = 'default' ORDER BY v.version DESC LIMIT 1"
        ).fetchone()
        conn.execute(
            """
            INSERT INTO jobs (id, status, pipeline_id, pipeline_version_id, priority, labels, filename, size_bytes,
                sha256, mime_type, created_at, enqueued_at, started_at, finished_at, attempts, max_attempts,
                progress)
            SELECT 'job_' || lpad(i::text, 26, '0'), 'succeeded', %(p)s, %(v)s, 5, '{"batch": "bench"}',
                'document-' || i || '.pdf', 20000 + i %% 5000, md5(i::text) || md5((i + 1)::text),
                'application/pdf', t, t, t + interval '20 ms', t + interval '80 ms', 1, 3, 1.0
            FROM generate_series(1, %(n)s) AS i,
                LATERAL (SELECT now() - interval '30 days' + i * interval '2 s') AS at(t)
            """,
            {"p": pipeline_id, "v": version_id, "n": count},
        )
        jobs_s = time.perf_counter() - t0
        conn.execute(
            """
            INSERT INTO job_stage_runs (job_id, attempt, name, status, started_at, finished_at, duration_ms)
            SELECT j.id, 1, s.name, 'succeeded', j.started_at, j.finished_at, 12
            FROM jobs j CROSS JOIN unnest(%(stages)s::text[]) AS s(name)
            WHERE j.id LIKE 'job\\_0%%'
            """,
            {"stages": list(STAGES)},
        )
        conn.execute("VACUUM ANALYZE jobs")
        conn.execute("VACUUM ANALYZE job_stage_runs")
    return {"jobs_s": jobs_s, "total_s": time.perf_counter() - t0}


def wrk(url: str, api_key: str, seconds: int, script: Path | None, connections: int) -> dict[str, Any]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    args += ["-H", f"Authorization: Bearer {api_key}"]
    if script:
        args += ["-s", str(script)]
    meter = CpuMeter().start()
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    cpu = meter.stop()
    return parse_wrk(out) | {"cpu": cpu, "connections": connections, "seconds": seconds}


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> dict[str, Any]:
    def latency(pct: str) -> float:
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
        return _ms(*match.groups()) if match else float("nan")

    total = re.search(r"(\d+) requests in", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(total.group(1)) if total else 0,
        "req_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p90_ms": latency("90"),
        "p99_ms": latency("99"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(v) for v in errors.groups()) if errors else 0,
    }


def run(count: int, seconds: int, connections: int) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (make install-dev installs the Debian package)"}
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-") as tmp:
        service = BenchService(Path(tmp), "postgresql")
        try:
            service.start(consumers=0)
            filled = fill(service.database_url, count)
            script = Path(tmp) / "random_job.lua"
            script.write_text(WRK_SCRIPT % {"seed": 11, "count": count})
            base, key = service.inner.base, service.inner.api_key
            status, body = service.inner.get(f"/api/v1/jobs/job_{count:026d}")
            assert status == 200 and body["status"] == "succeeded", (status, body)
            wrk(f"{base}/api/v1/jobs?limit=50", key, 3, None, connections)  # warm: connections, caches
            single = wrk(f"{base}/api/v1/jobs/x", key, seconds, script, connections)
            listing = wrk(f"{base}/api/v1/jobs?limit=50", key, seconds, None, connections)
        finally:
            service.stop()
    return {"jobs_in_database": count, "fill": filled, "get_job": single, "list_jobs": listing}
