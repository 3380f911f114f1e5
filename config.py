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
    # A job whose result (as JSON) would be larger fails with limit_exceeded instead of being stored (0: no cap).
    MAX_RESULT_MB: int = _env_int("DOCPIPE_MAX_RESULT_MB", 64)
    # Where uploads are kept: unset → the data dir's files/ folder; file:///path; or s3://bucket/optional/prefix.
    STORAGE_URL: str | None = _env("DOCPIPE_STORAGE_URL")
    # For s3:// storage. The endpoint of MinIO, Ceph, ... (unset → AWS); credentials from the AWS_* variables,
    # ~/.aws files or an instance role. Addressing style auto|path|virtual (unset → path with an endpoint).
    S3_ENDPOINT_URL: str | None = _env("DOCPIPE_S3_ENDPOINT_URL")
    S3_REGION: str | None = _env("DOCPIPE_S3_REGION")
    S3_ADDRESSING_STYLE: str | None = _env("DOCPIPE_S3_ADDRESSING_STYLE")
    # A running job's lease: a worker renews it while it works; when it lapses the job is recovered.
    JOB_LEASE_SECONDS: int = _env_int("DOCPIPE_JOB_LEASE_SECONDS", 60)
    # A pooled database connection idle this long is pinged before use (0: before every use, as consumers do).
    DB_PING_AFTER_IDLE_SECONDS: int = _env_int("DOCPIPE_DB_PING_AFTER_IDLE_SECONDS", 10)
    JOB_MAX_ATTEMPTS: int = _env_int("DOCPIPE_JOB_MAX_ATTEMPTS", 3)
    # A queued job whose message was sent this long ago without being picked up is sent again.
    JOB_REQUEUE_AFTER_SECONDS: int = _env_int("DOCPIPE_JOB_REQUEUE_AFTER_SECONDS", 600)
    # Backpressure: with this many jobs waiting, submissions get 429 and Retry-After (0: no limit).
    MAX_QUEUED: int = _env_int("DOCPIPE_MAX_QUEUED", 10000)
    BUSY_RETRY_AFTER_SECONDS: int = _env_int("DOCPIPE_BUSY_RETRY_AFTER_SECONDS", 30)
    # POST /api/v1/jobs with several ``file`` parts: at most this many files in one request.
    MAX_BATCH_FILES: int = _env_int("DOCPIPE_MAX_BATCH_FILES", 100)
    # How long an Idempotency-Key of POST /api/v1/jobs is remembered (expired keys are purged hourly).
    IDEMPOTENCY_KEY_TTL_HOURS: int = _env_int("DOCPIPE_IDEMPOTENCY_KEY_TTL_HOURS", 24)
    # How often (cluster-wide) lost and orphaned jobs are looked for; the consumers' heartbeat runs it.
    RECOVERY_INTERVAL_SECONDS: int = _env_int("DOCPIPE_RECOVERY_INTERVAL_SECONDS", 30)
    WORKER_HEARTBEAT_SECONDS: int = _env_int("DOCPIPE_WORKER_HEARTBEAT_SECONDS", 10)
    # Huey runs tasks inline (no consumer) when true: used by tests of the web layer alone.
    QUEUE_IMMEDIATE: bool = _env_bool("DOCPIPE_QUEUE_IMMEDIATE", False)

    # "Try it" in the pipeline editor runs an unsaved pipeline on a sample inside the web request (sandboxed):
    # the sample's size cap, the wall-clock cap (below the pipeline's own), and tries at once per web process.
    TRY_MAX_MB: int = _env_int("DOCPIPE_TRY_MAX_MB", 10)
    TRY_TIMEOUT_SECONDS: int = _env_int("DOCPIPE_TRY_TIMEOUT_SECONDS", 30)
    TRY_CONCURRENCY: int = _env_int("DOCPIPE_TRY_CONCURRENCY", 2)

    ADMIN_EMAIL: str = _env("DOCPIPE_ADMIN_EMAIL", "admin@localhost") or "admin@localhost"
    ADMIN_PASSWORD: str | None = _env("DOCPIPE_ADMIN_PASSWORD")

    # Served over HTTPS (directly or behind a proxy): Secure + __Host- cookies and HSTS.
    HTTPS: bool = _env_bool("DOCPIPE_HTTPS", False)
    SESSION_LIFETIME_HOURS: int = _env_int("DOCPIPE_SESSION_LIFETIME_HOURS", 12)
    # JWT access tokens. DOCPIPE_JWT_KEYS: JSON {"kid": "secret ≥ 32 bytes"}; unset → derived from SECRET_KEY.
    JWT_KEYS: str | None = _env("DOCPIPE_JWT_KEYS")
    JWT_ACTIVE_KID: str | None = _env("DOCPIPE_JWT_ACTIVE_KID")
    JWT_TTL_SECONDS: int = _env_int("DOCPIPE_JWT_TTL_SECONDS", 900)
    JWT_ISSUER: str = _env("DOCPIPE_JWT_ISSUER", "docpipe") or "docpipe"
    JWT_AUDIENCE: str = _env("DOCPIPE_JWT_AUDIENCE", "docpipe-api") or "docpipe-api"
    # An external identity provider: its public keys (PEM or JWKS file), issuer, audience, role claim.
    JWT_PUBLIC_KEYS: str | None = _env("DOCPIPE_JWT_PUBLIC_KEYS")
    JWT_EXTERNAL_ISSUER: str | None = _env("DOCPIPE_JWT_EXTERNAL_ISSUER")
    JWT_EXTERNAL_AUDIENCE: str | None = _env("DOCPIPE_JWT_EXTERNAL_AUDIENCE")
    JWT_ROLE_CLAIM: str = _env("DOCPIPE_JWT_ROLE_CLAIM", "role") or "role"
    # argon2id cost: RFC 9106's second recommended profile (3 passes, 64 MiB) by default.
    PASSWORD_TIME_COST: int = _env_int("DOCPIPE_PASSWORD_TIME_COST", 3)
    PASSWORD_MEMORY_KIB: int = _env_int("DOCPIPE_PASSWORD_MEMORY_KIB", 65536)
    LOGIN_RATE_LIMIT_IP: str = _env("DOCPIPE_LOGIN_RATE_LIMIT_IP", "30 per minute") or "30 per minute"
    LOGIN_RATE_LIMIT_ACCOUNT: str = _env("DOCPIPE_LOGIN_RATE_LIMIT_ACCOUNT", "10 per 5 minutes") or "10 per 5 minutes"
    # Requests per API key (JWT callers: per user; anonymous: per address) to /api/v1, e.g. "6000/minute";
    # "" or "0" switches it off. Counted across processes: in Redis when DOCPIPE_REDIS_URL is set, else (with the
    # sign-in limits) in the SQLite file <data dir>/ratelimits.db.
    API_RATE_LIMIT: str = os.environ.get("DOCPIPE_API_RATE_LIMIT", "6000/minute").strip()

    # Audit events older than this are purged daily (a checkpoint keeps the chain verifiable); 0 keeps all.
    AUDIT_RETENTION_DAYS: int = _env_int("DOCPIPE_AUDIT_RETENTION_DAYS", 365)

    # Webhooks. Receivers on loopback or private networks are refused unless this is on (tests, internal
    # receivers; never in production). Link-local and cloud metadata addresses are refused even then.
    WEBHOOK_ALLOW_PRIVATE: bool = _env_bool("DOCPIPE_WEBHOOK_ALLOW_PRIVATE", False)
    # The whole of one delivery attempt (connect, send, response headers and body), at most 30 s.
    WEBHOOK_TIMEOUT_SECONDS: float = float(_env("DOCPIPE_WEBHOOK_TIMEOUT_SECONDS", "15") or 15)
    # An endpoint whose every delivery failed for this long is disabled (with the reason shown).
    WEBHOOK_DISABLE_AFTER_HOURS: int = _env_int("DOCPIPE_WEBHOOK_DISABLE_AFTER_HOURS", 72)

    LOG_LEVEL: str = _env("DOCPIPE_LOG_LEVEL", "INFO") or "INFO"
    # json | console; unset → json in production or when stderr is not a terminal, console otherwise.
    LOG_FORMAT: str | None = _env("DOCPIPE_LOG_FORMAT")

    # /metrics is public unless one of these is set; then only a scraper with the Bearer token, or from one
    # of the comma-separated addresses/CIDRs (the direct peer's address), gets it, and others get 403.
    METRICS_TOKEN: str | None = _env("DOCPIPE_METRICS_TOKEN")
    METRICS_ALLOW: str | None = _env("DOCPIPE_METRICS_ALLOW")
    # A consumer serves its own metrics on this port when set (same token/CIDR rules as /metrics).
    WORKER_METRICS_PORT: int = _env_int("DOCPIPE_WORKER_METRICS_PORT", 0)
    WORKER_METRICS_ADDR: str = _env("DOCPIPE_WORKER_METRICS_ADDR", "0.0.0.0") or "0.0.0.0"

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    JSON_SORT_KEYS = False
    WTF_CSRF_TIME_LIMIT = None


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = False
    # Files stay in the test's data dir whatever the environment says; the S3 tests set their own.
    STORAGE_URL = None
    # Metrics are open and no consumer serves its own unless a test says so.
    METRICS_TOKEN = None
    METRICS_ALLOW = None
    WORKER_METRICS_PORT = 0
    # Cheap hashes keep the suite fast; the algorithm and code path are the production ones.
    PASSWORD_TIME_COST = 1
    PASSWORD_MEMORY_KIB = 8192
    # Tests sign in many times from one address; the rate-limit tests set their own small limits.
    LOGIN_RATE_LIMIT_IP = "10000 per minute"
    LOGIN_RATE_LIMIT_ACCOUNT = "10000 per minute"


WEAK_SECRETS = {"changeme", "secret", "dev", "development", TestConfig.SECRET_KEY}


class ProductionConfig(Config):
    """Refuses to start with a weak, default or generated-on-the-fly secret."""

    @classmethod
    def check(cls, config: dict) -> None:
        secret = config.get("SECRET_KEY") or ""
        if len(secret) < 32 or secret.lower() in WEAK_SECRETS or len(set(secret)) < 10:
            raise RuntimeError("DOCPIPE_SECRET_KEY must be set to at least 32 random characters in production")
        if config.get("WEBHOOK_ALLOW_PRIVATE"):
            raise RuntimeError(
                "DOCPIPE_WEBHOOK_ALLOW_PRIVATE must not be set in production: webhooks could reach internal services"
            )
        redis_url = config.get("REDIS_URL")
        if redis_url and not _redis_is_safe(redis_url):
            # Huey's messages are pickles: whoever can write to this Redis can run code in every worker.
            raise RuntimeError("DOCPIPE_REDIS_URL must carry a password (or use a loopback host) in production")


def _redis_is_safe(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "unix":
        return True
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1") or (parts.hostname or "").startswith("127.")
    return loopback or bool(parts.password)
