"""Rate limits: brute-force protection for sign-in and token requests (per address and per account), and
the API's request budget per caller (DOCPIPE_API_RATE_LIMIT)."""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string

from webapp.auth import ratestore
from webapp.auth.identity import current_identity

log = logging.getLogger(__name__)

limiter = Limiter(key_func=get_remote_address)

API_LIMIT_EXTENSION = "docpipe_api_rate_limit"
# Storage errors are logged at most this often: with Redis down every request would log otherwise.
_WARN_EVERY_SECONDS = 60.0
_last_warning = 0.0
_storages: dict[str, Storage] = {}
_storages_lock = threading.Lock()


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


@dataclass(frozen=True, slots=True)
class ApiRateLimit:
    item: RateLimitItem
    storage: Storage


@dataclass(frozen=True, slots=True)
class ApiBudget:
    limit: int
    remaining: int
    reset_at: int  # Unix time at which the window ends


def parse_api_limit(raw: str | None) -> RateLimitItem | None:
    """``"6000/minute"``, ``"100 per second"`` ...; ``""`` or ``"0"`` means no limit. Nonsense fails at start."""
    if not raw or raw.strip() in ("", "0"):
        return None
    return parse(raw)


def api_caller_key() -> str:
    """API key callers by key, our JWTs by user, external tokens by subject, everyone else by address."""
    identity = current_identity()
    if identity is None:
        return f"ip:{get_remote_address()}"
    if identity.api_key_id:
        return f"api_key:{identity.api_key_id}"
    return f"{identity.kind}:{identity.id}"


def check_api_rate_limit() -> Response | None:
    """Runs after authentication on every /api/v1 request: one counter increment in the shared storage.

    Fixed windows aligned to the clock (minute 12:03, 12:04 ...): the window and its reset time follow from
    the clock, so one INCR is the whole cost (no second round trip to ask when the counter expires)."""
    state: ApiRateLimit | None = current_app.extensions.get(API_LIMIT_EXTENSION)
    if state is None:
        return None
    period = state.item.get_expiry()
    now = time.time()
    window = int(now // period)
    try:
        used = state.storage.incr(state.item.key_for("api", api_caller_key(), str(window)), period)
    except state.storage.base_exceptions:
        _warn_storage_failed()
        return None  # fail open: the rate-limit store being down must not take the API down
    budget = ApiBudget(state.item.amount, max(0, state.item.amount - used), (window + 1) * period)
    g.api_budget = budget
    if used <= state.item.amount:
        return None
    from webapp.api.problems import problem

    retry_after = max(1, math.ceil(budget.reset_at - now))
    response = problem(
        429,
        "Too many requests",
        f"the limit is {state.item.amount} requests per {period} s for this caller; retry in {retry_after} s",
        "/problems/rate-limited",
        limit=state.item.amount,
        retry_after=retry_after,
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _warn_storage_failed() -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY_SECONDS:
        _last_warning = now
        log.warning("API rate limit not applied: its storage failed", exc_info=True)


def add_rate_limit_headers(response: Response) -> Response:
    """RateLimit-* (IETF draft: Reset in seconds) and X-RateLimit-* (Reset as Unix time) on API answers.

    Where limits of Flask-Limiter applied too (the token endpoint's sign-in limits), both sets show whichever
    limit has the least left, and replace the X-RateLimit-* that Flask-Limiter wrote for one of its own."""
    if not request.path.startswith("/api/"):
        return response
    headers = response.headers
    budget: ApiBudget | None = g.get("api_budget")
    for applied in limiter.current_limits if limiter.enabled else ():
        theirs = ApiBudget(applied.limit.amount, applied.remaining, int(applied.reset_at))
        if budget is None or theirs.remaining < budget.remaining:
            budget = theirs
    if budget is None:
        return response
    headers["RateLimit-Limit"] = headers["X-RateLimit-Limit"] = str(budget.limit)
    headers["RateLimit-Remaining"] = headers["X-RateLimit-Remaining"] = str(budget.remaining)
    headers["RateLimit-Reset"] = str(max(0, budget.reset_at - int(time.time())))
    headers["X-RateLimit-Reset"] = str(budget.reset_at)
    return response


def _storage(uri: str) -> Storage:
    """One Redis connection pool per process and address, however many apps are made (tests make many);
    memory and SQLite-file counters belong to their app (their connections go with it)."""
    if uri.startswith(("memory://", f"{ratestore.SCHEME}://")):
        return storage_from_string(uri)
    with _storages_lock:
        if uri not in _storages:
            _storages[uri] = storage_from_string(uri)
        return _storages[uri]


def init_app(app: Flask) -> None:
    # Counters shared by every process: in Redis, or in the embedded default a SQLite file in the data dir.
    default_uri = app.config.get("REDIS_URL") or ratestore.sqlite_uri(app.config["DATA_DIR"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", default_uri)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_ENABLED", app.config.get("RATE_LIMITS_ENABLED", True))
    # Registered before Flask-Limiter's own: after-request hooks run in reverse, so this one sees its headers.
    app.after_request(add_rate_limit_headers)
    limiter.init_app(app)
    item = parse_api_limit(app.config.get("API_RATE_LIMIT"))
    if item is not None and app.config["RATELIMIT_ENABLED"]:
        app.extensions[API_LIMIT_EXTENSION] = ApiRateLimit(item, _storage(app.config["RATELIMIT_STORAGE_URI"]))
        # On the API blueprint: its hooks run after the app's, so the caller is already identified.
        app.before_request_funcs.setdefault("api", []).append(check_api_rate_limit)
