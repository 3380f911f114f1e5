"""Rate-limit counters in a SQLite file: the embedded default's store, shared by every process on the machine.

Without Redis, Flask-Limiter's ``memory://`` counts per process, so gunicorn's workers each allowed the whole
sign-in budget (58 of 80 token requests passed in a minute against a limit of 30). This store keeps the counters
in ``<data dir>/ratelimits.db`` instead: one atomic ``INSERT ... ON CONFLICT ... RETURNING`` per hit, in WAL mode
without fsync (a crash may forget a minute of counts, never corrupt them). A separate file from the application's
database, so counting never waits on a job's transaction. The URI is ``docpipe-sqlite:///absolute/path.db``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from limits.storage import Storage

SCHEME = "docpipe-sqlite"
FILENAME = "ratelimits.db"
_BUSY_TIMEOUT_SECONDS = 5.0
_PURGE_EVERY = 1000  # hits between removals of expired counters
_SCHEMA = "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL)"
_INCR = """
INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :expires_at)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN counters.expires_at <= :now THEN :amount ELSE counters.count + :amount END,
    expires_at = CASE WHEN counters.expires_at <= :now THEN :expires_at ELSE counters.expires_at END
RETURNING count
"""


def sqlite_uri(data_dir: str) -> str:
    return f"{SCHEME}://{os.path.join(os.path.abspath(data_dir), FILENAME)}"


class SqliteStorage(Storage):
    """A ``limits`` storage for fixed windows (Flask-Limiter's default strategy, and the API's budget)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool) -> None:  # noqa: ARG002 (the Storage contract)
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.path = uri.split("://", 1)[1]
        self._local = threading.local()
        self._hits = 0
        self._prepare()

    def _prepare(self) -> None:
        """WAL mode and the table, once per file. Several processes start at once (gunicorn's workers): switching
        the journal mode takes the file's lock without waiting for it, so a process that finds it taken retries."""
        deadline = time.monotonic() + _BUSY_TIMEOUT_SECONDS
        while True:
            try:
                connection = self._connection()
                if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread and process (a forked worker opens its own)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
            connection.execute("PRAGMA synchronous=OFF")
            local.connection, local.pid = connection, os.getpid()
        return local.connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        row = connection.execute(_INCR, {"key": key, "amount": amount, "expires_at": now + expiry, "now": now})
        count = int(row.fetchone()[0])
        self._hits += 1
        if self._hits % _PURGE_EVERY == 0:
            connection.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return count

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
