"""Where webhooks may go, and sending one there: never a door into the network.

A receiver's host is resolved, and every address it resolves to is checked: private,
loopback, link-local, multicast, reserved, unspecified and other non-global addresses
are refused unless the installation allows their network (``MLAT_WEBHOOK_ALLOW_NETWORKS``),
and loopback is allowed only to an app in testing mode, the one case where ``http`` is
accepted too. The check is made when an endpoint is registered and again at each
delivery, which then connects to the address it checked (not to what a second lookup
might give: DNS rebinding), sends the host's name for TLS and in ``Host``, follows no
redirect, waits at most ``Reach.timeout`` seconds and reads at most ``MAX_READ`` bytes.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from mlat.config import Config
from mlat.messages import N_
from mlat.services import ServiceError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_READ = 64 * 1024
"""bytes of a receiver's answer read at most; the rest is left unread"""
DEFAULT_PORTS = {"https": 443, "http": 80}

# Why a delivery was not made: each a message of its own, translated where it is shown.
NOT_RESOLVED = N_("The receiver's host name could not be resolved.")
PRIVATE_ADDRESS = N_(
    "The receiver's address is private, loopback, link-local or reserved: webhooks do not go there."
)
NOT_REACHED = N_("The receiver could not be reached.")
TIMED_OUT = N_("The receiver did not answer in time.")
BAD_CERTIFICATE = N_("The receiver's TLS certificate could not be verified.")
REDIRECTED = N_("The receiver answered with a redirect, which is not followed.")
ERROR_ANSWER = N_("The receiver answered with an error.")


class AddressRefused(ServiceError):
    """A URL webhooks may not go to: its form, or an address it resolves to."""

    def __init__(self, message: str, *, reason: str = PRIVATE_ADDRESS, **params: object) -> None:
        super().__init__(message, **params)
        self.reason = reason
        """the delivery log's words for it (no parameters)"""


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for the host (raises ``OSError``)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def parse_networks(text: str) -> tuple[Network, ...]:
    """Networks written in CIDR, separated by spaces or commas (``ValueError`` names a
    wrong one)."""
    networks = []
    for entry in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"MLAT_WEBHOOK_ALLOW_NETWORKS: {entry!r} is not a network such as 10.20.0.0/16."
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class Reach:
    """Which addresses webhooks may go to, and how long a delivery may take."""

    allowed: tuple[Network, ...] = ()
    """networks of non-global addresses that are still allowed"""
    loopback: bool = False
    """loopback addresses allowed, over http too (an app in testing mode)"""
    timeout: float = 10.0
    resolve: Callable[[str, int], list[str]] = field(default=resolve_host, compare=False)

    @classmethod
    def of(cls, config: Config) -> Reach:
        return cls(allowed=parse_networks(config.webhook_allow_networks), loopback=config.testing)

    def allows(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed):
            return True
        if address.is_loopback:
            return self.loopback
        return address.is_global and not (
            address.is_private or address.is_multicast or address.is_reserved
            or address.is_link_local or address.is_unspecified
        )  # fmt: skip


@dataclass(frozen=True)
class Target:
    """A checked URL: the address to connect to, and the names to send."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def check_url(url: str, reach: Reach) -> Target:
    """The URL's target once its form and every address its host resolves to are
    allowed; ``AddressRefused`` saying why not."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise AddressRefused(N_("Enter a web address such as https://example.org/hooks.")) from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in DEFAULT_PORTS or not host:
        raise AddressRefused(N_("Enter a web address such as https://example.org/hooks."))
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(N_("Leave the user name and password out of the address."))
    port = port or DEFAULT_PORTS[parts.scheme]
    addresses = _addresses(host, port, reach)
    refused = [a for a in addresses if not reach.allows(a)]
    if refused:
        raise AddressRefused(
            N_("%(host)s is at a private, loopback, link-local or reserved address (%(address)s): "
               "webhooks do not go there."),
            host=host, address=str(refused[0]),
        )  # fmt: skip
    if parts.scheme == "http" and not all(a.is_loopback for a in addresses):
        raise AddressRefused(N_("Use an https address: deliveries are sent over TLS only."),
                             reason=NOT_REACHED)  # fmt: skip
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, str(addresses[0]))


def _addresses(host: str, port: int, reach: Reach) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = [ipaddress.ip_address(a.partition("%")[0]) for a in reach.resolve(host, port)]
    except (OSError, UnicodeError, ValueError):
        found = []
    if not found:
        raise AddressRefused(N_("The host name %(host)s could not be resolved."), host=host,
                             reason=NOT_RESOLVED)  # fmt: skip
    return found


@dataclass(frozen=True)
class Answer:
    """What the receiver answered: its status, or why there was no answer."""

    status: int | None
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST the body to the checked address (never to a name looked up again), without
    following redirects; an answer other than 2xx is a failure with its status."""
    pool: urllib3.HTTPConnectionPool
    limit = urllib3.Timeout(total=timeout)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(target.address, target.port, maxsize=1, retries=False,
                                           timeout=limit, server_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED")  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, maxsize=1, retries=False,
                                          timeout=limit)  # fmt: skip
    try:
        response = pool.urlopen(
            "POST", target.path, body=body,
            headers={**headers, "Host": target.host_header, "Content-Type": "application/json"},
            redirect=False, retries=False, preload_content=False, assert_same_host=False,
        )  # fmt: skip
        try:
            response.read(MAX_READ, decode_content=False)
        except HTTPError:
            pass  # the status is what counts
        finally:
            response.close()
    except SSLError:
        return Answer(None, BAD_CERTIFICATE)
    except Urllib3Timeout:
        return Answer(None, TIMED_OUT)
    except (HTTPError, OSError):
        return Answer(None, NOT_REACHED)
    finally:
        pool.close()
    if 300 <= response.status < 400:
        return Answer(response.status, REDIRECTED)
    if response.status >= 300 or response.status < 200:
        return Answer(response.status, ERROR_ANSWER)
    return Answer(response.status)
