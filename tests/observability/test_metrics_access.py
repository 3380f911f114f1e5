"""Who may read /metrics: everyone by default; with DOCPIPE_METRICS_TOKEN and/or DOCPIPE_METRICS_ALLOW only the
scraper with the Bearer token or from an allowed address, and 403 for the rest."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.e2e.service import free_port
from webapp.metrics import Access, start_worker_server

TOKEN = "scrape-token-0123456789abcdef"


def status(client, headers: dict | None = None, addr: str = "127.0.0.1") -> int:
    return client.get("/metrics", headers=headers or {}, environ_base={"REMOTE_ADDR": addr}).status_code


def test_open_by_default(app):
    assert status(app.test_client(), addr="203.0.113.9") == 200


def test_token_lets_only_its_bearer_in(make_app):
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    assert status(client, {"Authorization": f"Bearer {TOKEN}"}) == 200
    assert status(client, {"Authorization": f"bearer {TOKEN}"}) == 200
    assert status(client) == 403
    assert status(client, {"Authorization": "Bearer wrong-token"}) == 403
    assert status(client, {"Authorization": f"Basic {TOKEN}"}) == 403
    refused = client.get("/metrics")
    assert "docpipe_" not in refused.get_data(as_text=True)


def test_allow_list_of_addresses_and_cidrs(make_app):
    client = make_app(METRICS_ALLOW="10.0.0.0/8, 192.0.2.7, 2001:db8::/32").test_client()
    assert status(client, addr="10.20.30.40") == 200
    assert status(client, addr="192.0.2.7") == 200
    assert status(client, addr="::ffff:10.1.1.1") == 200
    assert status(client, addr="2001:db8::5") == 200
    assert status(client, addr="192.0.2.8") == 403
    assert status(client, addr="127.0.0.1") == 403


def test_token_or_address_either_lets_in(make_app):
    client = make_app(METRICS_TOKEN=TOKEN, METRICS_ALLOW="10.0.0.0/8").test_client()
    assert status(client, addr="10.0.0.1") == 200
    assert status(client, {"Authorization": f"Bearer {TOKEN}"}, addr="203.0.113.1") == 200
    assert status(client, addr="203.0.113.1") == 403


def test_a_mistyped_allow_list_stops_the_app_from_starting(make_app):
    with pytest.raises(ValueError, match="DOCPIPE_METRICS_ALLOW"):
        make_app(METRICS_ALLOW="10.0.0.0/8, not-an-address")


def test_the_rest_of_the_app_ignores_the_metrics_token(make_app):
    """The scrape token is not a credential anywhere else."""
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    assert client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401


def test_a_workers_metrics_port_applies_the_same_rules(make_app):
    app = make_app(WORKER_METRICS_PORT=free_port(), WORKER_METRICS_ADDR="127.0.0.1", METRICS_TOKEN=TOKEN)
    server = start_worker_server(app)
    assert server is not None
    try:
        url = f"http://127.0.0.1:{app.config['WORKER_METRICS_PORT']}/metrics"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        refused.value.close()
        assert refused.value.code == 403
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode()
        assert "docpipe_build_info" in body and "process_cpu_seconds_total" in body
        # A worker's own port shows its own counters, not the database's numbers (the web's /metrics does).
        assert "docpipe_queue_depth" not in body
    finally:
        server.shutdown()
        server.server_close()


def test_access_rules_directly():
    assert Access().allows(None, None)
    rules = Access(token=TOKEN)
    assert not rules.allows(None, "127.0.0.1")
    assert not rules.allows("Bearer", "127.0.0.1")
    assert rules.allows(f"Bearer   {TOKEN} ", None)
