"""A short chaos run in CI (``make chaos`` runs the long one): nothing lost, nothing done twice."""

from __future__ import annotations

import pytest

from tests.e2e.chaos import run

pytestmark = pytest.mark.slow


def test_kills_and_redis_restarts_lose_and_duplicate_nothing():
    """GIVEN 60 jobs on PostgreSQL + Redis with three consumers WHEN consumers are SIGKILLed 4 times, Redis is
    restarted empty twice and the web server is killed once THEN every job ends as its document deserves,
    with exactly one result and one job.succeeded event each."""
    figures = run(jobs=60, kills=4, redis_restarts=2, web_kills=1, consumers=3)
    print(figures)
    assert figures["lost"] == 0
    assert figures["duplicates"] == 0
    assert figures["wrong_outcome"] == 0
    assert figures["results_missing"] == 0
    assert figures["succeeded"] + figures["failed"] == 60
