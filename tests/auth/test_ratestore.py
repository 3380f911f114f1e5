"""Sign-in, token and API rate limits without Redis: counters in a SQLite file that every process shares."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from webapp.auth.ratestore import FILENAME, SqliteStorage, sqlite_uri

LIMIT = "30/minute"
REQUESTS_PER_PROCESS = 40


def _hammer(uri: str, barrier, results) -> None:
    """One process's token requests from one address, all at once with the other process's."""
    limiter = FixedWindowRateLimiter(storage_from_string(uri))
    item = parse(LIMIT)
    barrier.wait()
    results.put(sum(limiter.hit(item, "login-ip", "203.0.113.9") for _ in range(REQUESTS_PER_PROCESS)))


def test_two_processes_share_one_budget(tmp_path: Path) -> None:
    """GIVEN two processes (as two gunicorn workers) counting in one SQLite file WHEN each sends 40 requests
    against a limit of 30 a minute THEN 30 are admitted in all (per-process counters would admit 60)."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    uri = sqlite_uri(str(tmp_path))
    workers = [context.Process(target=_hammer, args=(uri, barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    admitted = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(10)
    assert sum(admitted) == 30
    assert all(worker.exitcode == 0 for worker in workers)


def test_a_counter_starts_again_when_its_window_ends(tmp_path: Path) -> None:
    storage = SqliteStorage(sqlite_uri(str(tmp_path)))
    assert [storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get_expiry("k") > time.time()
    time.sleep(1.05)
    assert storage.get("k") == 0
    assert storage.incr("k", 60, amount=2) == 2
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_the_embedded_default_counts_sign_ins_in_the_data_dir(make_app) -> None:
    # The embedded default has no Redis, also in the test pass that runs everything else on Redis.
    app = make_app(REDIS_URL=None, LOGIN_RATE_LIMIT_ACCOUNT="3 per minute", LOGIN_RATE_LIMIT_IP="5 per minute")
    data_dir = Path(app.config["DATA_DIR"])
    assert app.config["RATELIMIT_STORAGE_URI"] == sqlite_uri(str(data_dir))
    client = app.test_client()
    codes = [
        client.post("/api/v1/auth/token", json={"email": "a@x.org", "password": "x"}).status_code for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    with sqlite3.connect(data_dir / FILENAME) as connection:
        counts = dict(connection.execute("SELECT key, count FROM counters WHERE key LIKE '%login%'").fetchall())
    assert sorted(counts.values()) == [3, 4]  # the account refused the 4th request; the address counted it
