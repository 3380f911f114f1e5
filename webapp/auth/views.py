"""Dashboard sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from webapp.auth.policy import public, require_login
from webapp.auth.ratelimit import login_limits
from webapp.auth.sessions import end_session, start_session
from webapp.services import audit, users

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=1000)], render_kw={"autocomplete": "current-password"}
    )


class LogoutForm(FlaskForm):
    """Sign-out is a POST with a CSRF token, so a link on another site cannot sign anyone out."""


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.jobs_list")


@bp.route("/login", methods=["GET", "POST"])
@public
@login_limits
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is not None:
            audit.set_actor("user", user.id, user.email)
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        audit.record_alone("auth.login", outcome="denied", details={"email": (form.email.data or "")[:320]})
        error = "Invalid e-mail or password."
    elif form.is_submitted():
        error = (
            "Enter your e-mail and password." if not form.errors.get("csrf_token") else "The form expired; try again."
        )
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@require_login
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        end_session(current_user.get_id())
        flash("You are signed out.", "success")
    return redirect(url_for("auth.login"))
