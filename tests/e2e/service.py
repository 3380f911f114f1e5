"""Real processes: gunicorn serving the app and huey_consumer working the queue, sharing one data dir.

Used by the end-to-end tests and by ``make bench``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, multipart_body

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """A data dir with gunicorn and consumers started on demand; everything is killed at teardown."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.api_key: str | None = None

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        with (self.data_dir / log_name).open("ab") as log:
            process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process

    def flask(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def setup(self) -> None:
        """Migrate and seed like ``make run``, then take an admin API key the way an operator would."""
        self.flask("setup")
        email = self.env.get("DOCPIPE_ADMIN_EMAIL", "admin@localhost")
        self.api_key = self.flask("api-keys", "create", "--email", email, "--name", "e2e").strip().splitlines()[-1]

    def start_web(self) -> subprocess.Popen:
        process = self._spawn(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "wsgi:app"], "web.log"
        )
        self.wait_for(lambda: self._up(), 30, "gunicorn to answer")
        return process

    def start_consumer(self, workers: int = 1) -> subprocess.Popen:
        return self._spawn(
            [str(BIN / "huey_consumer"), "webapp.worker.huey", "--workers", str(workers), "--worker-type", "thread"]
            + ["--delay", "0.05", "--max-delay", "0.25"],
            f"consumer-{uuid.uuid4().hex[:6]}.log",
        )

    def _up(self) -> bool:
        try:
            return self.get("/livez")[0] == 200
        except OSError:
            return False

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.api_key and path.startswith("/api/"):
            headers.setdefault("Authorization", f"Bearer {self.api_key}")
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)

    def get(self, path: str) -> tuple[int, Any]:
        status, body, headers = self.request("GET", path)
        if headers.get("Content-Type", "").endswith("json"):
            return status, json.loads(body)
        return status, body

    def submit(self, path: Path, **fields: str) -> dict:
        body, content_type = multipart_body({**fields, "file": (path.read_bytes(), path.name)})
        status, raw, _ = self.request("POST", "/api/v1/jobs", body, {"Content-Type": content_type})
        assert status == 202, raw
        return json.loads(raw)

    @staticmethod
    def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def job(self, job_id: str) -> dict:
        return self.get(f"/api/v1/jobs/{job_id}")[1]

    def wait_finished(self, job_id: str, timeout: float = 60) -> dict:
        return self.wait_for(
            lambda: (job := self.job(job_id))["status"] in ("succeeded", "failed", "cancelled") and job,
            timeout,
            f"job {job_id} to finish",
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def service_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any DOCPIPE_* settings, pointed at ``data_dir``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DOCPIPE_")}
    return env | {"DOCPIPE_DATA_DIR": str(data_dir), "DOCPIPE_ADMIN_PASSWORD": "e2e-admin-password"} | extra


PG_ADMIN_URL = os.environ.get("DOCPIPE_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("DOCPIPE_TEST_E2E_REDIS_URL", "redis://127.0.0.1:6379/14")


def production_env(
    data_dir: Path, database: str = "docpipe_e2e", redis_url: str = REDIS_URL, **extra: str
) -> dict[str, str]:
    """A fresh PostgreSQL database and an empty Redis database for real processes in production mode."""
    import psycopg
    import redis

    require_production_services(redis_url)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    redis.Redis.from_url(redis_url).flushdb()
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return service_env(data_dir, DOCPIPE_DATABASE_URL=f"{base}/{database}", DOCPIPE_REDIS_URL=redis_url, **extra)


def require_production_services(redis_url: str) -> None:
    """PostgreSQL and Redis must answer. CI always has them (a failure there is a failure); on a developer's
    machine without them these tests are skipped, saying why."""
    import psycopg
    import redis

    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:
        if os.environ.get("CI"):
            raise
        import pytest

        pytest.skip(f"PostgreSQL ({PG_ADMIN_URL}) or Redis ({redis_url}) not reachable: {exc}")


def drop_database(database: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class OwnRedis:
    """A Redis server of our own without persistence, so a restart loses every queued message."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
