"""/readyz and /healthz against a real Redis of the test's own, stopped and started again."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.service import Service, free_port

REDIS_SERVER = shutil.which("redis-server")


class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*args, "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        Service.wait_for(self._answers, 10, "redis-server to answer")

    def _answers(self) -> bool:
        import redis

        try:
            with redis.Redis(port=self.port, socket_timeout=1) as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path: Path):
    if REDIS_SERVER is None:
        pytest.skip("redis-server is missing: install Debian's redis-server package")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def wait_for_status(client, expected: int, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/readyz")
        if response.status_code == expected or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_readyz_follows_redis_down_and_up(make_app, redis_server):
    """GIVEN the app's queue on a Redis of our own WHEN that Redis is killed THEN /readyz answers 503 naming the
    queue (database and storage still ok), and /healthz says why; WHEN it is started again THEN 200."""
    app = make_app(REDIS_URL=redis_server.url)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert "failing" not in ready.get_json()

    redis_server.stop()
    down = wait_for_status(client, 503)
    assert down.status_code == 503
    body = down.get_json()
    assert body["failing"] == ["queue"]
    assert body["components"]["queue"]["status"] == "error"
    assert body["components"]["database"]["status"] == "ok" and body["components"]["storage"]["status"] == "ok"
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["components"]["queue"]["error"].startswith("ConnectionError")

    redis_server.start()
    up = wait_for_status(client, 200)
    assert up.status_code == 200, up.get_json()
    assert client.get("/healthz").get_json()["components"]["queue"]["backend"] == "redis"


def test_healthz_reports_latency_depth_workers_and_disk(app, client):
    from webapp.services import workers

    with app.app_context():
        workers.beat("host:77")
    body = client.get("/healthz").get_json()
    components = body["components"]
    assert all(isinstance(component["latency_ms"], float) for component in components.values())
    assert components["queue"]["depth"] == 0
    assert components["workers"]["alive"] == 1 and components["workers"]["last_heartbeat"].endswith("Z")
    disk = components["disk"]
    assert 0 < disk["free_bytes"] <= disk["total_bytes"] and 0 < disk["free_ratio"] <= 1
    assert body["status"] == "ok"
