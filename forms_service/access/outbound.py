"""Outbound HTTP to a URL someone gave the service (a batch's completion call): only to the outside.

A URL a caller supplies must not turn the service into a way in (server-side request forgery): every
address its host resolves to must be a global unicast address that is not this machine's — no
loopback, link-local (cloud metadata), private, shared, multicast or reserved address — unless
``FORMS_OUTBOUND_ALLOW`` names it (a network, ``10.0.0.0/8``, or one address and port,
``127.0.0.1:8443``, for a receiver beside the service).  The check runs when the URL is given and again
at each call, whose connection goes to an address just checked (a name that resolves elsewhere
later is not followed there), and redirects are never followed: a 3xx answer is the receiver's
answer.  ``https://`` always; ``http://`` only to an allowed address.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import InputError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class OutboundAllow:
    """The exceptions of ``FORMS_OUTBOUND_ALLOW``: whole networks, or single address-and-port pairs."""

    networks: tuple[Network, ...] = ()
    endpoints: tuple[tuple[Address, int], ...] = ()

    def admits(self, address: Address, port: int) -> bool:
        return any(address in n for n in self.networks) or (address, port) in self.endpoints

    @classmethod
    def parse(cls, text: str) -> OutboundAllow:
        """``10.0.0.0/8, 127.0.0.1:8443, [::1]:8443``; ``ValueError`` naming a bad entry."""
        networks: list[Network] = []
        endpoints: list[tuple[Address, int]] = []
        for item in (i.strip() for i in text.split(",")):
            if not item:
                continue
            host, port = _host_and_port(item)
            try:
                if port is not None:
                    endpoints.append((_plain(ipaddress.ip_address(host)), port))
                else:
                    networks.append(ipaddress.ip_network(host, strict=False))
            except ValueError:
                raise ValueError(f"{item!r}: write a network (10.0.0.0/8) or an address and port "
                                 "(127.0.0.1:8443, [::1]:8443)") from None
        return cls(tuple(networks), tuple(endpoints))


@dataclass(frozen=True)
class Target:
    """A URL checked for calling: where to connect (an address just checked) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: Address


class OutboundRefused(InputError):
    """A URL the service will not call."""

    code = "outbound_refused"


def check(url: str, allow: OutboundAllow, *, field: str = "webhook") -> Target:
    """The URL's target, resolved and checked now; ``OutboundRefused`` (naming ``field``) otherwise."""
    if len(url) > 2000:
        raise OutboundRefused("網址過長：最多 2,000 個字元", details={"field": field})
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboundRefused("請填寫 https:// 開頭的網址", details={"field": field})
    if parts.username or parts.password:
        raise OutboundRefused("網址不可含帳號或密碼", details={"field": field})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("網址的連接埠不正確", details={"field": field}) from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise OutboundRefused(f"找不到主機 {parts.hostname}：請確認網址", details={"field": field}) from None
    addresses = list(dict.fromkeys(_plain(ipaddress.ip_address(str(info[4][0]).split("%")[0])) for info in found))
    for address in addresses:
        allowed = allow.admits(address, port)
        if not allowed and not _public(address):
            raise OutboundRefused(f"網址的主機 {parts.hostname} 指向內部或保留位址（{address}）：服務只呼叫外部網址",
                                  details={"field": field})
        if parts.scheme == "http" and not allowed:
            raise OutboundRefused("請使用 https:// 網址（http:// 僅限系統設定允許的位址）", details={"field": field})
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def post(url: str, body: bytes, headers: dict[str, str], allow: OutboundAllow, *, timeout: float) -> int:
    """POST ``body`` to ``url`` after checking it again; the receiver's status (a redirect is not
    followed).  ``OutboundRefused`` for a URL no longer allowed, ``OSError`` when unreachable."""
    target = check(url, allow)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPS(target.host, target.port, target.address, timeout)
    else:
        connection = _PinnedHTTP(target.host, target.port, target.address, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(65536)
        return answer.status
    except (http.client.HTTPException, ssl.SSLError) as err:
        raise OSError(str(err) or type(err).__name__) from err
    finally:
        connection.close()


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to the checked address, whatever the name resolves to by now."""

    def __init__(self, host: str, port: int, address: Address, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self._address), self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the checked address, the certificate checked against the URL's host name."""

    def __init__(self, host: str, port: int, address: Address, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((str(self._address), self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _public(address: Address) -> bool:
    """A global unicast address that is not one of this machine's own."""
    if not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified:
        return False
    return not _is_own(address)


def _is_own(address: Address) -> bool:
    """Whether this machine holds ``address`` (a socket can be bound to it): its own ports are no
    outside."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((str(address), 0))
        except OSError:
            return False
    return True


def _plain(address: Address) -> Address:
    """An IPv4 address written as IPv6 (``::ffff:127.0.0.1``) is that IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _host_and_port(item: str) -> tuple[str, int | None]:
    if item.startswith("["):
        host, _, rest = item[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if item.count(":") == 1:
        host, _, port = item.partition(":")
        if port.isdigit():
            return host, int(port)
    return item, None
