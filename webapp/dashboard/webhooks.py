"""The webhooks pages (admins): endpoints with their state, create and edit, rotate the secret, send a test
event, and each endpoint's deliveries with their attempts and a Redeliver button.

Like the API keys page, a secret is rendered straight into the answer to the form that made it (create or
rotate), with ``Cache-Control: no-store``, and never again.
"""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for
from wtforms import SelectChoice

from webapp.api.pagination import DEFAULT_LIMIT
from webapp.api.serializers import delivery_to_dict, webhook_to_dict
from webapp.auth.policy import require_permission
from webapp.dashboard import bp
from webapp.dashboard.errors import CSRF_MESSAGE
from webapp.dashboard.forms import WebhookForm, add_service_errors, checked_action_form
from webapp.models import WebhookEndpoint
from webapp.services import webhooks
from webapp.services.errors import ConflictError, ValidationFailed

EVENT_LABELS = {"*": "Every event (now and future)", "webhook.test": "webhook.test (sent by “Send test event”)"}


def _form(**kwargs: Any) -> WebhookForm:
    form = WebhookForm(**kwargs)
    form.events.choices = [SelectChoice(name, EVENT_LABELS.get(name, name)) for name in ("*", *webhooks.EVENT_TYPES)]
    return form


def _edit_form(endpoint: WebhookEndpoint, **kwargs: Any) -> WebhookForm:
    return _form(
        url=endpoint.url,
        events=endpoint.events,
        description=endpoint.description,
        enabled=endpoint.enabled,
        **kwargs,
    )


def _body(form: WebhookForm) -> dict[str, Any]:
    return {
        "url": (form.url.data or "").strip(),
        "events": form.events.data or [],
        "description": form.description.data or "",
        "enabled": bool(form.enabled.data),
    }


def _no_store(body: str, status: int, secret_shown: bool):
    response = make_response(body, status)
    if secret_shown:
        # The one response that carries a secret: no cache, proxy or back button may keep it.
        response.headers["Cache-Control"] = "no-store"
    return response


def _render_list(form: WebhookForm, status: int = 200, created: dict | None = None, form_error: str | None = None):
    rows = [webhook_to_dict(endpoint) for endpoint in webhooks.list_endpoints()]
    body = render_template("dashboard/webhooks.html", hooks=rows, form=form, created=created, form_error=form_error)
    return _no_store(body, status, created is not None)


@bp.get("/admin/webhooks")
@require_permission("webhooks:manage")
def webhooks_list():
    return _render_list(_form(formdata=None))


@bp.post("/admin/webhooks")
@require_permission("webhooks:manage")
def webhook_create():
    form = _form()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            return _render_list(form, 400, form_error=CSRF_MESSAGE)
        return _render_list(form, 422)
    try:
        endpoint, secret = webhooks.create_endpoint(_body(form))
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return _render_list(form, 422)
    return _render_list(_form(formdata=None), 201, created={"secret": secret, **webhook_to_dict(endpoint)})


def _render_detail(
    endpoint: WebhookEndpoint,
    form: WebhookForm | None = None,
    status: int = 200,
    secret: str | None = None,
):
    cursor = request.args.get("cursor")
    items, next_cursor = webhooks.list_deliveries(endpoint, DEFAULT_LIMIT, cursor, None)
    attempts = webhooks.attempts_of(items)
    body = render_template(
        "dashboard/webhook.html",
        hook=webhook_to_dict(endpoint),
        form=form or _edit_form(endpoint, formdata=None),
        deliveries=[delivery_to_dict(d, attempts.get(d.id, [])) for d in items],
        next_cursor=next_cursor,
        first_page=not cursor,
        secret=secret,
    )
    return _no_store(body, status, secret is not None)


@bp.get("/admin/webhooks/<webhook_id>")
@require_permission("webhooks:manage")
def webhook_detail(webhook_id: str):
    return _render_detail(webhooks.get_endpoint(webhook_id))


@bp.post("/admin/webhooks/<webhook_id>")
@require_permission("webhooks:manage")
def webhook_update(webhook_id: str):
    endpoint = webhooks.get_endpoint(webhook_id)
    form = _form()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            form.form_errors.append(CSRF_MESSAGE)
            return _render_detail(endpoint, form, 400)
        return _render_detail(endpoint, form, 422)
    try:
        webhooks.update_endpoint(endpoint, _body(form))
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return _render_detail(webhooks.get_endpoint(webhook_id), form, 422)
    flash("The webhook was saved.", "success")
    return redirect(url_for("dashboard.webhook_detail", webhook_id=webhook_id))


@bp.post("/admin/webhooks/<webhook_id>/delete")
@require_permission("webhooks:manage")
def webhook_delete(webhook_id: str):
    checked_action_form()
    endpoint = webhooks.get_endpoint(webhook_id)
    url = endpoint.url
    webhooks.delete_endpoint(endpoint)
    flash(f"The webhook to {webhooks.shown_url(url)} was deleted with its delivery log.", "success")
    return redirect(url_for("dashboard.webhooks_list"))


@bp.post("/admin/webhooks/<webhook_id>/rotate-secret")
@require_permission("webhooks:manage")
def webhook_rotate(webhook_id: str):
    checked_action_form()
    endpoint, secret = webhooks.rotate_secret(webhooks.get_endpoint(webhook_id))
    return _render_detail(endpoint, secret=secret)


@bp.post("/admin/webhooks/<webhook_id>/test")
@require_permission("webhooks:manage")
def webhook_test(webhook_id: str):
    checked_action_form()
    try:
        webhooks.send_test(webhooks.get_endpoint(webhook_id))
    except ConflictError as exc:
        flash(f"No test event was sent: {exc.detail}.", "error")
    else:
        flash("A webhook.test event is on its way: its delivery is listed below.", "success")
    return redirect(url_for("dashboard.webhook_detail", webhook_id=webhook_id))


@bp.post("/admin/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@require_permission("webhooks:manage")
def webhook_redeliver(webhook_id: str, delivery_id: str):
    checked_action_form()
    endpoint = webhooks.get_endpoint(webhook_id)
    delivery = webhooks.get_delivery(endpoint, delivery_id)
    try:
        webhooks.redeliver(endpoint, delivery)
    except ConflictError as exc:
        flash(f"Not redelivered: {exc.detail}.", "error")
    else:
        flash(f"Delivery {delivery_id} will be sent again (same webhook-id, new attempts).", "success")
    return redirect(url_for("dashboard.webhook_detail", webhook_id=webhook_id))
