"""Webhook URLs cannot reach the server's own network: refused when saved, and again, before any socket
opens, at every attempt (DNS may have changed since)."""

from __future__ import annotations

import socket

import pytest
from flask import Flask

from config import ProductionConfig
from tests.webhooks.conftest import create_webhook
from webapp.extensions import db
from webapp.models import WebhookEndpoint
from webapp.services import webhook_net, webhook_secrets

STAGES = [{"name": n} for n in ("ingest", "detect", "parse", "output")]
HOSTILE = [
    "http://127.0.0.1",
    "http://127.0.0.1:{port}/hook",
    "http://localhost:{port}/hook",
    "http://LOCALHOST./hook",
    "http://api.localhost/hook",
    "http://[::1]:{port}/hook",
    "http://0.0.0.0:{port}/hook",
    "http://10.0.0.1",
    "http://172.16.0.1",
    "http://192.168.1.1",
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]",
    "http://100.64.0.1",
    "http://100.100.100.200/latest/meta-data",
    "http://[fd00:ec2::254]/latest/meta-data",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://[::ffff:7f00:1]:{port}/hook",
    "http://[::127.0.0.1]:{port}/hook",
    "http://[2002:7f00:1::1]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",
    "http://2130706433:{port}/hook",
    "http://0x7f000001:{port}/hook",
    "http://017700000001:{port}/hook",
    "http://127.1:{port}/hook",
    "http://0177.0.0.1:{port}/hook",
    "ftp://example.com/hook",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/_",
    "http://user:pass@example.com/hook",
    "http://@127.0.0.1:{port}/hook",
    "http://224.0.0.1",
    "http://255.255.255.255",
    "http://[fd00::1]",
    "http://[ff02::1]",
    "http://192.0.2.10",
    "http://exa mple.com/",
    "",
    "hook.example.com",
]
ALWAYS_REFUSED = [
    "http://169.254.169.254/latest/meta-data",
    "http://[fe80::1]:{port}/hook",
    "http://100.100.100.200",
    "http://[fd00:ec2::254]",
    "http://0.0.0.0:{port}/hook",
    "http://224.0.0.1",
]


@pytest.fixture
def strict(app: Flask) -> Flask:
    """DOCPIPE_WEBHOOK_ALLOW_PRIVATE off, as in production."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    return app


@pytest.fixture
def sockets(monkeypatch) -> list[tuple]:
    """Every connection the webhook code opens."""
    opened: list[tuple] = []
    real = webhook_net._open_socket

    def spy(address: str, port: int, timeout: float):
        opened.append((address, port))
        return real(address, port, timeout)

    monkeypatch.setattr(webhook_net, "_open_socket", spy)
    return opened


def insert_endpoint(app: Flask, url: str) -> str:
    """An endpoint saved without the checks (as if DNS changed after it was saved)."""
    with app.app_context():
        endpoint = WebhookEndpoint(id="wh_raw" + str(abs(hash(url)))[:20], url=url, events=["*"], enabled=True)
        endpoint.secret_encrypted = webhook_secrets.encrypt(webhook_secrets.generate_secret(), endpoint.id)
        db.session.add(endpoint)
        db.session.commit()
        endpoint_id = endpoint.id
        db.session.remove()
    return endpoint_id


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_refused_when_saved(strict, client, receiver, sockets, url):
    url = url.format(port=receiver.port)
    response = client.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in response.get_json()["errors"]] == ["url"]
    assert sockets == [] and receiver.connections == 0


def test_hostile_urls_are_refused_at_send_time_before_any_socket_opens(strict, client, receiver, sockets, deliver):
    """GIVEN endpoints whose stored URLs point inside (saved before a DNS change, or by hand) WHEN a delivery
    to each is attempted THEN each attempt fails as 'not sent' without a connection: the receiver listening
    on 127.0.0.1 never sees one."""
    urls = [u.format(port=receiver.port) for u in HOSTILE if u.startswith(("http://", "ftp", "file", "gopher"))]
    assert len(urls) >= 15
    for url in urls:
        insert_endpoint(strict, url)
    client.post("/api/v1/pipelines", json={"name": "noisy", "stages": STAGES})
    outcomes = deliver()
    assert len(outcomes) == len(urls)
    assert sockets == [] and receiver.connections == 0 and receiver.requests == []
    with strict.app_context():
        from webapp.models import WebhookAttempt

        errors = [a.error for a in db.session.execute(db.select(WebhookAttempt)).scalars()]
    assert len(errors) == len(urls) and all(error.startswith("not sent: ") for error in errors)


def test_private_receivers_are_allowed_only_when_configured(app, client, receiver, sockets, deliver):
    """GIVEN DOCPIPE_WEBHOOK_ALLOW_PRIVATE WHEN an endpoint is on loopback THEN it is saved and receives
    deliveries; link-local and cloud metadata addresses stay refused even then."""
    assert app.config["WEBHOOK_ALLOW_PRIVATE"] is True
    for url in (
        receiver.url(),
        f"http://localhost:{receiver.port}/hook",
        f"http://[::ffff:127.0.0.1]:{receiver.port}/",
    ):
        create_webhook(client, url, ["webhook.test"])
    for url in ALWAYS_REFUSED:
        response = client.post("/api/v1/webhooks", json={"url": url.format(port=receiver.port), "events": ["*"]})
        assert response.status_code == 422, url
        assert response.get_json()["errors"][0]["field"] == "url"
    hook = create_webhook(client, receiver.url(), ["*"])
    client.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert deliver() == ["succeeded"]
    assert [address for address, _ in sockets] == ["127.0.0.1"]
    for url in ALWAYS_REFUSED:
        insert_endpoint(app, url.format(port=receiver.port))
    client.post("/api/v1/pipelines", json={"name": "noisy", "stages": STAGES})
    sockets.clear()
    deliver()
    # Only the loopback endpoints subscribed to everything connect; the always-refused ones never do.
    assert {address for address, _ in sockets} <= {"127.0.0.1"}
    assert len(sockets) == 1


def test_the_checked_address_is_the_one_connected_to(app, client, receiver, sockets, deliver, monkeypatch):
    """GIVEN a host name WHEN a delivery is sent THEN the name is resolved once, the connection goes to the
    address that was checked, and the request still names the host (Host header)."""
    lookups: list[str] = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        if host == "hooks.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhook_net, "_getaddrinfo", fake_getaddrinfo)
    hook = create_webhook(client, f"http://hooks.example:{receiver.port}/in?token=abc", ["*"])
    lookups.clear()
    client.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert deliver() == ["succeeded"]
    assert lookups == ["hooks.example"]
    assert sockets == [("127.0.0.1", receiver.port)]
    (request,) = receiver.requests
    assert request.headers["host"] == f"hooks.example:{receiver.port}"
    assert request.path == "/in?token=abc"


def test_a_name_resolving_to_any_internal_address_is_refused(strict, client, receiver, sockets, deliver, monkeypatch):
    """GIVEN a name that resolves to a public and a loopback address (DNS rebinding) WHEN it is saved or
    used THEN it is refused: every resolved address must be acceptable, not just the first."""
    answers = {"rebind.example": ["93.184.216.34", "127.0.0.1"], "public.example": ["93.184.216.34"]}

    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    monkeypatch.setattr(webhook_net, "_getaddrinfo", fake_getaddrinfo)
    response = client.post("/api/v1/webhooks", json={"url": "http://rebind.example/", "events": ["*"]})
    assert response.status_code == 422
    assert "127.0.0.1 is loopback" in response.get_json()["errors"][0]["message"]
    hook = create_webhook(client, f"http://public.example:{receiver.port}/", ["*"])
    answers["public.example"] = ["127.0.0.1"]  # the name now points inside
    client.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert deliver() == ["pending"]
    assert sockets == [] and receiver.connections == 0
    error = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"][0]["attempts"][0]["error"]
    assert error == "not sent: refused: public.example resolves to 127.0.0.1 is loopback"


def test_a_name_that_does_not_resolve_yet_is_saved_but_not_sent(strict, client, deliver, sockets):
    hook = create_webhook(client, "https://not-yet.invalid/hook", ["*"])
    client.post(f"/api/v1/webhooks/{hook['id']}/test")
    assert deliver() == ["pending"]
    attempt = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"][0]["attempts"][0]
    assert attempt["error"].startswith("not sent: the host 'not-yet.invalid' does not resolve")
    assert sockets == []


@pytest.mark.parametrize(
    ("address", "allowed_when_private_allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("10.1.2.3", True),
        ("fd12:3456::1", True),
        ("100.64.0.1", True),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("100.100.100.200", False),
        ("fd00:ec2::254", False),
        ("::", False),
        ("240.0.0.1", False),
        ("2001:db8::1", False),
        ("2002:a9fe:a9fe::1", False),
        ("::ffff:169.254.169.254", False),
    ],
)
def test_address_rules(address, allowed_when_private_allowed):
    import ipaddress

    ip = ipaddress.ip_address(address)
    assert webhook_net.address_problem(ip, allow_private=False) is not None
    assert (webhook_net.address_problem(ip, allow_private=True) is None) is allowed_when_private_allowed


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"])
def test_public_addresses_are_allowed(address):
    import ipaddress

    assert webhook_net.address_problem(ipaddress.ip_address(address), allow_private=False) is None


def test_production_refuses_private_webhook_receivers():
    strong = "Zq7!pX2@mN9#kL4$wR8%tY6^vB3&hJ5*"
    ProductionConfig.check({"SECRET_KEY": strong})
    with pytest.raises(RuntimeError, match="DOCPIPE_WEBHOOK_ALLOW_PRIVATE"):
        ProductionConfig.check({"SECRET_KEY": strong, "WEBHOOK_ALLOW_PRIVATE": True})
