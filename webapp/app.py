"""The application factory: configuration, paths, database and every extension bound in one place."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. No database or network I/O happens here; the data dir is created if missing."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object("config.Config")
    if os.environ.get("DOCPIPE_ENV") == "production":
        app.config.from_object("config.ProductionConfig")
    if test_config:
        app.config.update(test_config)
    if os.environ.get("DOCPIPE_ENV") == "production":
        from config import ProductionConfig

        # Before a secret could be generated into the data dir: production must bring its own.
        ProductionConfig.check(app.config)
    _configure_paths(app)
    _configure_database(app)
    app.config["MAX_CONTENT_LENGTH"] = _max_request_bytes(app)

    from webapp import api, auth, cli, dashboard, health, logs, metrics, queue, requestctx, security
    from webapp.extensions import csrf, db, migrate
    from webapp.services import webhooks

    logs.init_app(app)
    metrics.init_app(app)
    db.init_app(app)
    _ping_idle_connections(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    queue.init_app(app)
    security.init_app(app)
    requestctx.init_app(app)
    auth.init_app(app)
    api.init_app(app)
    dashboard.init_app(app)
    health.init_app(app)
    cli.init_app(app)
    webhooks.init_app(app)
    return app


def _configure_paths(app: Flask) -> None:
    data_dir = Path(app.config.get("DATA_DIR") or app.instance_path).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    app.config["DATA_DIR"] = str(data_dir)
    app.config.setdefault("STORAGE_DIR", str(data_dir / "files"))
    app.config.setdefault("QUEUE_FILE", str(data_dir / "queue.db"))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _persistent_secret(data_dir / "secret_key")


def _persistent_secret(path: Path) -> str:
    """The embedded default keeps a random key in the data dir so sessions survive restarts."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _configure_database(app: Flask) -> None:
    url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.config['DATA_DIR']) / 'docpipe.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    # Not pool_pre_ping (a round trip before every request): _ping_idle_connections pings only idle ones.
    options: dict[str, Any] = {}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    else:
        options.update(pool_size=10, max_overflow=10, pool_recycle=1800)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)


def _ping_idle_connections(app: Flask) -> None:
    """Ping a pooled connection before use only when it sat idle for DB_PING_AFTER_IDLE_SECONDS (default 10).

    pool_pre_ping would cost a database round trip on every request. A connection used moments ago is almost
    surely alive; when the database restarted under load anyway, the first request to hit a dead connection
    fails and SQLAlchemy then invalidates the whole pool, so every later request gets a fresh connection."""
    from webapp.extensions import db

    if app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        return
    idle_limit = float(app.config["DB_PING_AFTER_IDLE_SECONDS"])
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or (idle_limit and time.monotonic() - checked_in_at < idle_limit):
            return  # just connected, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("an idle pooled connection was dead") from exc  # the pool reconnects


def _max_request_bytes(app: Flask) -> int:
    # The multipart envelope adds a little to the file itself.
    return int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 64 * 1024


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    """WAL lets the web and the worker read while the other writes; foreign keys are off by default."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # We issue BEGIN ourselves (below) instead of letting pysqlite defer it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn) -> None:
    """Take SQLite's write lock at BEGIN: a transaction that read first and wrote later could otherwise fail
    at once with SQLITE_BUSY when another process wrote in between (busy_timeout cannot retry that case)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
