"""Fixtures for the end-to-end tests: a data dir with real processes (see service.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.service import OwnRedis, Service, drop_database, production_env, service_env


@pytest.fixture
def service(tmp_path: Path):
    running = Service(tmp_path, service_env(tmp_path, DOCPIPE_WORKER_HEARTBEAT_SECONDS="1"))
    running.setup()
    yield running
    running.stop()


@pytest.fixture
def production(tmp_path: Path):
    """PostgreSQL + Redis (PriorityRedisHuey), the production back ends, with real processes. A database and a
    Redis server of this test's own, so parallel runs on one machine never take each other's messages."""
    redis_server = OwnRedis()
    redis_server.start()
    database = f"docpipe_e2e_{os.getpid()}"
    env = production_env(tmp_path, database=database, redis_url=redis_server.url, DOCPIPE_WORKER_HEARTBEAT_SECONDS="1")
    running = Service(tmp_path, env)
    running.setup()
    yield running
    running.stop()
    redis_server.kill()
    drop_database(database)
