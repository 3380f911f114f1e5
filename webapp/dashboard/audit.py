"""The audit log page (admins): filter, page through, open one event, download what the filters select.

The filters are the API's (``audit_log.parse_filters``); since/until come from ``datetime-local`` inputs, which
carry no zone, and are read as UTC. The exports are the API's too, served here to the signed-in session
because the API takes bearer tokens only.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import render_template, request, url_for

from webapp.api.pagination import page_limit
from webapp.auth.policy import require_permission
from webapp.dashboard import bp
from webapp.services import audit, audit_log, users
from webapp.services import audit_export as exports
from webapp.services.errors import ValidationFailed
from webapp.timeutil import utcnow

# The names the app records (a test keeps this list complete); the form offers them and their prefixes.
ACTIONS = (
    "api_key.created",
    "api_key.first_used",
    "api_key.revoked",
    "audit.purged",
    "auth.denied",
    "auth.login",
    "auth.logout",
    "auth.token_issued",
    "job.cancelled",
    "job.created",
    "job.deleted",
    "job.failed",
    "job.recovered",
    "job.retried",
    "job.retrying",
    "job.started",
    "job.succeeded",
    "pipeline.created",
    "pipeline.deleted",
    "pipeline.tried",
    "pipeline.updated",
    "user.created",
    "user.deleted",
    "user.updated",
    "webhook.created",
    "webhook.deleted",
    "webhook.disabled",
    "webhook.redelivered",
    "webhook.secret_rotated",
    "webhook.tested",
    "webhook.updated",
)
RESOURCE_TYPES = ("job", "pipeline", "user", "api_key", "webhook")
# Query parameters that select events (everything but paging), in the order the form shows them.
FILTER_KEYS = audit_log.FILTERS


def _filter_args() -> dict[str, str]:
    return {key: request.args[key] for key in FILTER_KEYS if request.args.get(key)}


def local_input(value: datetime | None) -> str:
    """A UTC datetime as a ``datetime-local`` value, as precise as it needs to be."""
    if value is None:
        return ""
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return value.strftime("%Y-%m-%dT%H:%M:%S" if value.second else "%Y-%m-%dT%H:%M")


def _quick_ranges(args: dict[str, str]) -> list[dict[str, str]]:
    """Links that keep the other filters and set since/until: the last hour, 24 hours, yesterday, 7 days."""
    now = utcnow().replace(second=0, microsecond=0)
    midnight = now.replace(hour=0, minute=0)
    ranges = [
        ("Last hour", now - timedelta(hours=1), None),
        ("Last 24 hours", now - timedelta(days=1), None),
        ("Yesterday", midnight - timedelta(days=1), midnight),
        ("Last 7 days", now - timedelta(days=7), None),
    ]
    base = {key: value for key, value in args.items() if key not in ("since", "until")}
    links = []
    for label, since, until in ranges:
        times = {"since": local_input(since), **({"until": local_input(until)} if until else {})}
        links.append({"label": label, "url": url_for("dashboard.audit_list", **base, **times)})
    return links


def resource_url(resource_type: str | None, resource_id: str | None) -> str | None:
    """Where a resource is shown in the dashboard, if anywhere."""
    if not resource_id:
        return None
    if resource_type == "job":
        return url_for("dashboard.job_detail", job_id=resource_id)
    if resource_type == "pipeline":
        return url_for("dashboard.pipeline_detail", ref=resource_id)
    if resource_type == "user":
        return url_for("dashboard.users_list", _anchor=f"user-{resource_id}")
    if resource_type == "api_key":
        return url_for("dashboard.api_keys_page", _anchor=f"key-{resource_id}")
    return None


def _row(event) -> dict[str, Any]:
    row = audit.event_to_dict(event)
    row["resource_url"] = resource_url(event.resource_type, event.resource_id)
    actor = event.actor_id or event.actor_name
    row["actor_url"] = url_for("dashboard.audit_list", actor=actor) if actor else None
    return row


def _errors_by_field(exc: ValidationFailed) -> dict[str, str]:
    return {error.field: error.message for error in exc.errors}


@bp.get("/admin/audit")
@require_permission("audit:read")
def audit_list():
    args = _filter_args()
    filters, errors = None, {}
    events: list = []
    next_cursor = None
    cursor = request.args.get("cursor") or None
    try:
        filters = audit_log.parse_filters(args)
        events, next_cursor = audit_log.list_events(filters, page_limit(), cursor)
    except ValidationFailed as exc:
        errors = _errors_by_field(exc)
    values = dict(args)
    if filters is not None:
        values.update(since=local_input(filters.since), until=local_input(filters.until))
    paging = {key: request.args[key] for key in ("limit",) if request.args.get(key)}
    return render_template(
        "dashboard/audit.html",
        rows=[_row(event) for event in events],
        values=values,
        errors={field: message for field, message in errors.items() if field in FILTER_KEYS},
        form_errors=[f"{field}: {message}" for field, message in errors.items() if field not in FILTER_KEYS],
        filtered=bool(args),
        actions=_action_choices(),
        resource_types=RESOURCE_TYPES,
        outcomes=audit.OUTCOMES,
        actors=[user.email for user in users.list_users()],
        quick_ranges=_quick_ranges(args),
        older_url=url_for("dashboard.audit_list", **args, **paging, cursor=next_cursor) if next_cursor else None,
        newest_url=url_for("dashboard.audit_list", **args, **paging) if cursor else None,
        export_urls={fmt: url_for("dashboard.audit_export", fmt=fmt, **args) for fmt in exports.FORMATS},
    ), (422 if errors else 200)


def _action_choices() -> list[str]:
    prefixes = sorted({name.split(".", 1)[0] + "." for name in ACTIONS})
    return [*prefixes, *ACTIONS]


@bp.get("/admin/audit/<int:event_id>")
@require_permission("audit:read")
def audit_event(event_id: int):
    event = audit_log.get_event(event_id)
    older, newer_id = audit_log.neighbours(event)
    row = _row(event)
    return render_template(
        "dashboard/audit_event.html",
        event=row,
        prev_hash=event.prev_hash,
        details_json=json.dumps(row["details"], indent=2, ensure_ascii=False, sort_keys=True),
        intact=audit.content_hash(event) == event.hash,
        older_id=older.id if older else None,
        linked=older is None or older.hash == event.prev_hash,
        newer_id=newer_id,
        history_url=(
            url_for("dashboard.audit_list", resource_type=event.resource_type, resource_id=event.resource_id)
            if event.resource_id
            else None
        ),
    )


@bp.get("/admin/audit/export.csv", defaults={"fmt": "csv"})
@bp.get("/admin/audit/export.jsonl", defaults={"fmt": "jsonl"})
@require_permission("audit:read")
def audit_export(fmt: str):
    """The events the filters select, all of them (not one page), newest first: the API's export."""
    return exports.response(fmt, audit_log.parse_filters(_filter_args()))
