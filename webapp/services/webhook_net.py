"""Outbound webhook requests that cannot be turned against the server's own network (SSRF).

``check_url`` refuses anything but plain http(s) URLs without credentials, resolves the host once and checks
every address it resolves to; ``post`` then connects to one of those checked addresses (never looking the
name up again, so DNS cannot change the answer in between), sends the original host name in ``Host`` and,
for HTTPS, as SNI and for certificate checking. Redirects are never followed and proxies never used.

Loopback and private networks are refused unless ``allow_private`` (DOCPIPE_WEBHOOK_ALLOW_PRIVATE: tests and
internal receivers, refused in production); link-local, cloud metadata, multicast, reserved and documentation
addresses are refused always. IPv6 forms that embed an IPv4 address (mapped, compatible, 6to4, NAT64,
Teredo) are judged by the address they embed.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2048
USER_AGENT = "Docpipe-Webhooks/1"

# Refused even when private networks are allowed.
ALWAYS_BLOCKED: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = [
    (ipaddress.ip_network(net), why)
    for net, why in (
        ("0.0.0.0/8", "the 'this network' range"),
        ("169.254.0.0/16", "link-local (cloud metadata lives here)"),
        ("100.100.100.200/32", "a cloud metadata service"),
        ("168.63.129.16/32", "a cloud platform service"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("fd00:ec2::254/128", "a cloud metadata service"),
        ("ff00::/8", "multicast"),
        ("100::/64", "discard-only"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("2001:10::/28", "ORCHID"),
        ("2001:20::/28", "ORCHIDv2"),
        ("64:ff9b:1::/48", "local-use NAT64"),
    )
]
# Allowed only with allow_private.
PRIVATE: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = [
    (ipaddress.ip_network(net), why)
    for net, why in (
        ("127.0.0.0/8", "loopback"),
        ("::1/128", "loopback"),
        ("10.0.0.0/8", "a private network"),
        ("172.16.0.0/12", "a private network"),
        ("192.168.0.0/16", "a private network"),
        ("100.64.0.0/10", "carrier-grade NAT (shared address space)"),
        ("fc00::/7", "a unique local (private) network"),
    )
]
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST_CHARS = re.compile(r"^[a-z0-9._-]+$")
_NUMBER_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")

# Indirections the tests replace to observe or steer name resolution and connections.
_getaddrinfo = socket.getaddrinfo


class UnsafeURL(ValueError):
    """The URL may not be used for a webhook; the message says why (safe to show to the admin)."""


class UnresolvableHost(UnsafeURL):
    """The host name does not resolve (now): not refused when saving, a failed attempt when sending."""


class SendError(Exception):
    def __init__(self, message: str, duration_ms: int) -> None:
        super().__init__(message)
        self.duration_ms = duration_ms


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool
    duration_ms: int


def address_problem(ip: IPAddress, allow_private: bool) -> str | None:
    """Why a connection to ``ip`` is refused, or None when it is allowed."""
    for network, why in ALWAYS_BLOCKED:
        if ip in network:
            return f"{ip} is {why}"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded:
            kind, inner = embedded
            # A mapped address is the IPv4 address itself; tunnels (6to4, Teredo, NAT64) must lead outside.
            for v4 in inner:
                problem = address_problem(v4, allow_private and kind == "mapped")
                if problem is None and kind != "mapped" and not v4.is_global:
                    problem = f"{v4} is not a public address"
                if problem:
                    return f"{ip} embeds an IPv4 address: {problem}"
            return None
    for network, why in PRIVATE:
        if ip in network:
            return None if allow_private else f"{ip} is {why}"
    if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{ip} is a reserved address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, list[ipaddress.IPv4Address]] | None:
    if ip.ipv4_mapped is not None:
        return "mapped", [ip.ipv4_mapped]
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return "mapped", [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return "6to4", [ip.sixtofour]
    if ip.teredo is not None:
        return "teredo", list(ip.teredo)
    if ip in _NAT64:
        return "nat64", [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return None


def _split(url: object) -> tuple[str, str, int, str]:
    """The static checks: scheme, credentials, host spelling, port. Returns (scheme, host, port, path)."""
    if not isinstance(url, str) or not url:
        raise UnsafeURL("must be an http:// or https:// URL")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"must be at most {MAX_URL_LENGTH} characters")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise UnsafeURL("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeURL("is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("only http:// and https:// URLs are allowed")
    if "@" in parts.netloc:
        raise UnsafeURL("must not contain a user name or password")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise UnsafeURL("has an invalid port") from None
    if not 0 < port < 65536:
        raise UnsafeURL("has an invalid port")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL("must name a host")
    if "%" in host:
        raise UnsafeURL("must not contain an IPv6 zone")
    if ":" not in host:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise UnsafeURL("has an invalid host name") from None
        if not _HOST_CHARS.match(host) or ".." in host:
            raise UnsafeURL("has an invalid host name")
        if _NUMBER_LABEL.match(host.rsplit(".", 1)[-1]) and not _canonical_ipv4(host):
            # 2130706433, 0x7f000001, 017700000001, 127.1: parsers disagree on these, so none is accepted.
            raise UnsafeURL("IPv4 addresses must be written as four decimal numbers, e.g. 203.0.113.7")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, path


def _canonical_ipv4(host: str) -> bool:
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        return False


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (one lookup). Raises UnresolvableHost."""
    try:
        infos = _getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UnresolvableHost(f"the host {host!r} does not resolve ({exc})") from None
    addresses = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvableHost(f"the host {host!r} does not resolve")
    return addresses


def check_url(url: object, allow_private: bool) -> Target:
    """The URL's target with every address checked. Raises UnsafeURL (UnresolvableHost when DNS has no
    answer)."""
    scheme, host, port, path = _split(url)
    literal = _literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        if not allow_private and (host == "localhost" or host.endswith(".localhost")):
            raise UnsafeURL(f"{host} is loopback")
        addresses = resolve(host, port)
    for address in addresses:
        problem = address_problem(ipaddress.ip_address(address), allow_private)
        if problem:
            shown = problem if literal is not None else f"{host} resolves to {problem}"
            raise UnsafeURL(f"refused: {shown}")
    return Target(scheme, host, port, path, tuple(addresses))


def validate_url(url: object, allow_private: bool) -> str:
    """For saving an endpoint: every check, but a name that does not resolve yet is accepted (it is checked
    again, and refused if it still does not resolve, at each attempt)."""
    try:
        check_url(url, allow_private)
    except UnresolvableHost:
        pass
    return str(url)


def _open_socket(address: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((address, port), timeout=timeout)


def _tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, certificate and host name checks on."""
    return ssl.create_default_context()


class _Deadline:
    """One time budget for the whole request: when it runs out the socket is shut down, whatever it is
    waiting for (a receiver trickling its answer a byte at a time gets no more time than a silent one)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.expired = False
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def watch(self, sock: socket.socket) -> socket.socket:
        self._timer = threading.Timer(self.remaining(), self._expire, args=(sock,))
        self._timer.daemon = True
        self._timer.start()
        return sock

    def _expire(self, sock: socket.socket) -> None:
        self.expired = True
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address instead of resolving ``host``; ``host`` is still sent in Host."""

    def __init__(self, host: str, port: int, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port, timeout=deadline.remaining())
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = self._deadline.watch(_open_socket(self._address, self.port, self._deadline.remaining()))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS: SNI and certificate checking against the original host name."""

    def __init__(self, host: str, port: int, address: str, deadline: _Deadline) -> None:
        self._tls = _tls_context()
        super().__init__(host, port, timeout=deadline.remaining(), context=self._tls)
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        raw = self._deadline.watch(_open_socket(self._address, self.port, self._deadline.remaining()))
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float, body_limit: int = 2048) -> Response:
    """POST ``body`` to the target, trying its checked addresses in order. Reads at most ``body_limit`` bytes
    of the answer. Raises SendError (timeout, refused connection, TLS, malformed answer)."""
    started = time.monotonic()
    deadline = _Deadline(timeout)
    last_error = "no address to connect to"
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    for address in target.addresses:
        if deadline.remaining() <= 0:
            break
        connection = connection_class(target.host, target.port, address, deadline)
        try:
            connection.connect()
        except OSError as exc:
            deadline.cancel()
            last_error = _describe(exc, deadline, timeout)
            connection.close()
            continue
        try:
            connection.request("POST", target.path, body=body, headers={"User-Agent": USER_AGENT, **headers})
            answer = connection.getresponse()
            data = answer.read(body_limit + 1)
            return Response(
                status=answer.status,
                headers={key.lower(): value for key, value in answer.getheaders()},
                body=data[:body_limit],
                truncated=len(data) > body_limit,
                duration_ms=elapsed(),
            )
        except (OSError, http.client.HTTPException) as exc:
            raise SendError(_describe(exc, deadline, timeout), elapsed()) from None
        finally:
            deadline.cancel()
            connection.close()
    if deadline.remaining() <= 0:
        last_error = f"timed out after {timeout:g} s"
    raise SendError(last_error, elapsed())


def _describe(exc: BaseException, deadline: _Deadline, timeout: float) -> str:
    if deadline.expired or isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.HTTPException):
        return f"invalid HTTP answer: {type(exc).__name__}"
    return f"connection error: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
