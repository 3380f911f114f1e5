"""Fixtures for the end-to-end tests: a data dir with real processes (see service.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.service import Service, production_env, service_env


@pytest.fixture
def service(tmp_path: Path):
    running = Service(tmp_path, service_env(tmp_path, DOCPIPE_WORKER_HEARTBEAT_SECONDS="1"))
    running.setup()
    yield running
    running.stop()


@pytest.fixture
def production(tmp_path: Path):
    """PostgreSQL + Redis (PriorityRedisHuey), the production back ends, with real processes."""
    running = Service(tmp_path, production_env(tmp_path, DOCPIPE_WORKER_HEARTBEAT_SECONDS="1"))
    running.setup()
    yield running
    running.stop()
