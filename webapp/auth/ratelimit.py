"""Brute-force protection for sign-in and token requests: per client address and per account."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def account_key() -> str:
    data = request.get_json(silent=True) if request.is_json else request.form
    email = data.get("email") if isinstance(data, dict) or hasattr(data, "get") else None
    return "account:" + (email.strip().lower() if isinstance(email, str) else "")


def per_ip() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_IP"]


def per_account() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"]


def login_limits(view):
    """Both limits on one view; the dashboard login and the token endpoint share the counters' meaning."""
    view = limiter.limit(per_account, key_func=account_key, scope="login-account")(view)
    return limiter.limit(per_ip, scope="login-ip")(view)


def init_app(app: Flask) -> None:
    # Shared counters across processes need Redis; the embedded default counts per process.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_ENABLED", app.config.get("RATE_LIMITS_ENABLED", True))
    limiter.init_app(app)
