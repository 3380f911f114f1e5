"""Webhooks (admin): endpoints, their secrets, test events, and the delivery log with redelivery."""

from __future__ import annotations

from flask import jsonify, request

from webapp.api import bp, json_body
from webapp.api import schemas as s
from webapp.api.openapi import Answer, doc
from webapp.api.pagination import page_limit, paginated
from webapp.api.serializers import delivery_to_dict, webhook_to_dict
from webapp.auth.policy import require_permission
from webapp.services import webhooks


def _with_secret(endpoint, secret: str, status: int):
    response = jsonify({**webhook_to_dict(endpoint), "secret": secret})
    # The one answer that carries the secret: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response, status


def _delivery_response(delivery, status: int = 200):
    attempts = webhooks.attempts_of([delivery]).get(delivery.id, [])
    return jsonify(delivery_to_dict(delivery, attempts)), status


@bp.get("/webhooks")
@require_permission("webhooks:manage")
@doc(tag="webhooks", answers={200: Answer("every endpoint", s.WebhookList)})
def list_webhooks():
    """List webhook endpoints (admin)."""
    return jsonify({"items": [webhook_to_dict(e) for e in webhooks.list_endpoints()], "next_cursor": None})


@bp.post("/webhooks")
@require_permission("webhooks:manage")
@doc(
    tag="webhooks",
    json=s.WebhookCreate,
    answers={
        201: Answer("created; secret is shown this once", s.WebhookWithSecret, headers=("Location", "Cache-Control"))
    },
)
def create_webhook():
    """Subscribe a URL to events (admin)."""
    endpoint, secret = webhooks.create_endpoint(json_body())
    response, status = _with_secret(endpoint, secret, 201)
    response.headers["Location"] = f"/api/v1/webhooks/{endpoint.id}"
    return response, status


@bp.get("/webhooks/<webhook_id>")
@require_permission("webhooks:manage")
@doc(tag="webhooks", answers={200: Answer("the endpoint", s.Webhook)})
def get_webhook(webhook_id: str):
    """Get a webhook endpoint (admin)."""
    return jsonify(webhook_to_dict(webhooks.get_endpoint(webhook_id)))


@bp.patch("/webhooks/<webhook_id>")
@require_permission("webhooks:manage")
@doc(tag="webhooks", json=s.WebhookUpdate, answers={200: Answer("updated", s.Webhook)})
def update_webhook(webhook_id: str):
    """Change a webhook endpoint (admin)."""
    endpoint = webhooks.get_endpoint(webhook_id)
    return jsonify(webhook_to_dict(webhooks.update_endpoint(endpoint, json_body())))


@bp.delete("/webhooks/<webhook_id>")
@require_permission("webhooks:manage")
@doc(tag="webhooks", answers={204: Answer("deleted with its delivery log")})
def delete_webhook(webhook_id: str):
    """Delete a webhook endpoint (admin)."""
    webhooks.delete_endpoint(webhooks.get_endpoint(webhook_id))
    return "", 204


@bp.post("/webhooks/<webhook_id>/rotate-secret")
@require_permission("webhooks:manage")
@doc(
    tag="webhooks",
    answers={
        200: Answer(
            "the new secret, shown this once; the old one signs for 24 h more",
            s.WebhookWithSecret,
            headers=("Cache-Control",),
        )
    },
)
def rotate_webhook_secret(webhook_id: str):
    """Rotate a webhook endpoint's signing secret (admin)."""
    endpoint, secret = webhooks.rotate_secret(webhooks.get_endpoint(webhook_id))
    return _with_secret(endpoint, secret, 200)


@bp.post("/webhooks/<webhook_id>/test")
@require_permission("webhooks:manage")
@doc(tag="webhooks", answers={202: Answer("a webhook.test delivery, sent soon", s.Delivery)})
def test_webhook(webhook_id: str):
    """Send a webhook.test event (admin)."""
    return _delivery_response(webhooks.send_test(webhooks.get_endpoint(webhook_id)), 202)


@bp.get("/webhooks/<webhook_id>/deliveries")
@require_permission("webhooks:manage")
@doc(tag="webhooks", query=s.DeliveryQuery, answers={200: Answer("newest first", s.DeliveryList, headers=("Link",))})
def list_webhook_deliveries(webhook_id: str):
    """List an endpoint's deliveries, newest first (admin)."""
    endpoint = webhooks.get_endpoint(webhook_id)
    status = webhooks.parse_status(request.args.get("status"))
    items, next_cursor = webhooks.list_deliveries(endpoint, page_limit(), request.args.get("cursor"), status)
    attempts = webhooks.attempts_of(items)
    return paginated([delivery_to_dict(d, attempts.get(d.id, [])) for d in items], next_cursor)


@bp.get("/webhooks/<webhook_id>/deliveries/<delivery_id>")
@require_permission("webhooks:manage")
@doc(tag="webhooks", answers={200: Answer("the delivery and its attempts", s.Delivery)})
def get_webhook_delivery(webhook_id: str, delivery_id: str):
    """Get a delivery and its attempts (admin)."""
    endpoint = webhooks.get_endpoint(webhook_id)
    return _delivery_response(webhooks.get_delivery(endpoint, delivery_id))


@bp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@require_permission("webhooks:manage")
@doc(tag="webhooks", answers={202: Answer("due again now", s.Delivery)})
def redeliver_webhook(webhook_id: str, delivery_id: str):
    """Send a delivery again now (admin)."""
    endpoint = webhooks.get_endpoint(webhook_id)
    delivery = webhooks.redeliver(endpoint, webhooks.get_delivery(endpoint, delivery_id))
    return _delivery_response(delivery, 202)
