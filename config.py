"""Configuration: defaults here, overridden by ``DOCPIPE_*`` environment variables.

The embedded default needs no settings at all: SQLite, SqliteHuey and stored files live in
``DOCPIPE_DATA_DIR`` (the instance folder unless set).
"""

from __future__ import annotations

import os


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    # Filled in by the app factory when unset: the instance folder.
    DATA_DIR: str | None = _env("DOCPIPE_DATA_DIR")
    DATABASE_URL: str | None = _env("DOCPIPE_DATABASE_URL")
    REDIS_URL: str | None = _env("DOCPIPE_REDIS_URL")
    SECRET_KEY: str | None = _env("DOCPIPE_SECRET_KEY")

    MAX_UPLOAD_MB: int = _env_int("DOCPIPE_MAX_UPLOAD_MB", 100)
    # A running job's lease: a worker renews it while it works; when it lapses the job is recovered.
    JOB_LEASE_SECONDS: int = _env_int("DOCPIPE_JOB_LEASE_SECONDS", 60)
    JOB_MAX_ATTEMPTS: int = _env_int("DOCPIPE_JOB_MAX_ATTEMPTS", 3)
    # A queued job whose message was sent this long ago without being picked up is sent again.
    JOB_REQUEUE_AFTER_SECONDS: int = _env_int("DOCPIPE_JOB_REQUEUE_AFTER_SECONDS", 600)
    WORKER_HEARTBEAT_SECONDS: int = _env_int("DOCPIPE_WORKER_HEARTBEAT_SECONDS", 10)
    # Huey runs tasks inline (no consumer) when true: used by tests of the web layer alone.
    QUEUE_IMMEDIATE: bool = _env_bool("DOCPIPE_QUEUE_IMMEDIATE", False)

    ADMIN_EMAIL: str = _env("DOCPIPE_ADMIN_EMAIL", "admin@localhost") or "admin@localhost"
    ADMIN_PASSWORD: str | None = _env("DOCPIPE_ADMIN_PASSWORD")

    LOG_LEVEL: str = _env("DOCPIPE_LOG_LEVEL", "INFO") or "INFO"
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    JSON_SORT_KEYS = False
    WTF_CSRF_TIME_LIMIT = None


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = False


class ProductionConfig(Config):
    """Refuses to start with a weak or missing secret."""

    @classmethod
    def check(cls, config: dict) -> None:
        secret = config.get("SECRET_KEY") or ""
        if len(secret) < 32:
            raise RuntimeError("DOCPIPE_SECRET_KEY must be set to at least 32 random characters in production")
