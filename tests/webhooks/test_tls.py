"""HTTPS receivers: the request goes to the checked address, while TLS (SNI and the certificate check) uses the
host name of the URL."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.webhooks.conftest import create_webhook
from tests.webhooks.receiver import Receiver
from webapp.services import webhook_net


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, issuer: str, key, signing_key, *, ca: bool, dns: str | None = None):
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture
def pki(tmp_path):
    """A test CA and a server certificate for hooks.example signed by it."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Docpipe test CA", "Docpipe test CA", ca_key, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate("hooks.example", "Docpipe test CA", server_key, ca_key, ca=False, dns="hooks.example")
    (tmp_path / "server.pem").write_bytes(
        server.public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    return ca.public_bytes(serialization.Encoding.PEM).decode(), context


@pytest.fixture
def tls_receiver(pki, monkeypatch):
    ca_pem, server_context = pki
    running = Receiver(tls=server_context)

    def trusting_context() -> ssl.SSLContext:
        context = ssl.create_default_context()
        context.load_verify_locations(cadata=ca_pem)
        return context

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host in ("hooks.example", "other.example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhook_net, "_tls_context", trusting_context)
    monkeypatch.setattr(webhook_net, "_getaddrinfo", fake_getaddrinfo)
    yield running
    running.close()


def test_https_checks_the_certificate_against_the_url_host(client, tls_receiver, deliver):
    """GIVEN an HTTPS receiver whose certificate names hooks.example WHEN a delivery goes to
    https://hooks.example (resolved to 127.0.0.1) THEN TLS verifies the certificate for hooks.example and the
    request arrives; to https://other.example (same address) the certificate is refused and nothing is sent."""
    good = create_webhook(client, f"https://hooks.example:{tls_receiver.port}/tls", ["webhook.test"])
    client.post(f"/api/v1/webhooks/{good['id']}/test")
    assert deliver() == ["succeeded"]
    (request,) = tls_receiver.requests
    assert request.path == "/tls" and request.headers["host"] == f"hooks.example:{tls_receiver.port}"

    wrong = create_webhook(client, f"https://other.example:{tls_receiver.port}/tls", ["webhook.test"])
    client.post(f"/api/v1/webhooks/{wrong['id']}/test")
    assert deliver() == ["pending"]
    attempt = client.get(f"/api/v1/webhooks/{wrong['id']}/deliveries").get_json()["items"][0]["attempts"][0]
    assert attempt["error"].startswith("TLS certificate not accepted")
    assert "not valid for 'other.example'" in attempt["error"]
    assert len(tls_receiver.requests) == 1
