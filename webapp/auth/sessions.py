"""Dashboard sign-in with flask-login over server-side session rows.

The signed cookie holds only a random session id; the row says whose it is and whether it still counts.
Signing in creates a new row (the id rotates), signing out revokes it, disabling the user ends them all.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Flask, current_app, request, session
from flask_login import LoginManager, UserMixin, login_user, logout_user

from webapp.extensions import db
from webapp.models import User, UserSession
from webapp.services import audit
from webapp.timeutil import utcnow

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = None  # the server-side row is the protection; "strong" breaks behind proxies
_SEEN_GRANULARITY = timedelta(minutes=1)


class SessionUser(UserMixin):
    def __init__(self, row: UserSession) -> None:
        self.session_id = row.id
        self.user: User = row.user

    def get_id(self) -> str:
        return self.session_id


@login_manager.user_loader
def _load(session_id: str) -> SessionUser | None:
    row = db.session.get(UserSession, session_id)
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    lifetime = timedelta(hours=int(current_app.config["SESSION_LIFETIME_HOURS"]))
    if now - row.created_at > lifetime:
        return None
    if row.user.tokens_valid_after is not None and row.created_at < row.user.tokens_valid_after:
        return None
    if now - row.last_seen_at > _SEEN_GRANULARITY:
        row.last_seen_at = now
        db.session.commit()
    return SessionUser(row)


def start_session(user: User) -> None:
    # A fresh cookie and a fresh id: whatever session id the browser had before signing in is dropped.
    session.clear()
    row = UserSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        ip=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:300],
    )
    db.session.add(row)
    audit.record("auth.login", "user", user.id, details={"email": user.email, "via": "dashboard"})
    db.session.commit()
    login_user(SessionUser(row), remember=False)


def end_session(session_id: str | None) -> None:
    if session_id:
        row = db.session.get(UserSession, session_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record("auth.logout", "user", row.user_id, details={"email": row.user.email})
            db.session.commit()
    logout_user()
    session.clear()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    https = bool(app.config.get("HTTPS"))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        # The __Host- prefix pins the cookie to this host and path "/", and requires Secure.
        SESSION_COOKIE_NAME="__Host-docpipe_session" if https else "docpipe_session",
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=int(app.config["SESSION_LIFETIME_HOURS"])),
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
    )
