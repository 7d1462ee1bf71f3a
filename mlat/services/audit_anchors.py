"""Copies of audit checkpoints beyond the app's reach: an RFC 3161 timestamp of each
line, from a timestamp authority, and the line itself sent to syslog."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import socket
import sys
from logging.handlers import SysLogHandler

from asn1crypto import cms, tsp
from pyhanko.sign.timestamps import HTTPTimeStamper

from mlat.packets.signature import outside_loop

SYSLOG_PORT = 514


def timestamp_token(url: str, data: bytes) -> str:
    """The authority's timestamp token (DER, in base64) over the SHA-256 of ``data``."""
    stamper = HTTPTimeStamper(url, timeout=10)
    digest = hashlib.sha256(data).digest()
    # In a worker thread when this one already runs an event loop (an async server, a
    # browser driver), where asyncio.run could not start one.
    token = outside_loop(lambda: asyncio.run(stamper.async_timestamp(digest, "sha256")))
    return base64.b64encode(token.dump()).decode()


def imprint_problem(token: str, data: bytes) -> str:
    """What is wrong with a timestamp token of ``data``, or "": it must be a token over
    the SHA-256 of exactly these bytes. (Whether the authority signed it is checked with
    its certificate: ``openssl ts -verify``, docs/operations.md.)"""
    try:
        info = cms.ContentInfo.load(base64.b64decode(token, validate=True))
        content = info["content"]["encap_content_info"]["content"].parsed
        if not isinstance(content, tsp.TSTInfo):
            return "is not a timestamp token"
        imprint = content["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
    except (ValueError, TypeError, KeyError, binascii.Error):
        return "is not a timestamp token"
    if algorithm != "sha256" or hashed != hashlib.sha256(data).digest():
        return "is not for that checkpoint"
    return ""


class _Syslog(SysLogHandler):
    """A handler that lets its caller see a failed send instead of printing it."""

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        raise error if isinstance(error, OSError) else OSError(str(error))


def syslog_address(setting: str) -> tuple[str | tuple[str, int], socket.SocketKind]:
    """``/dev/log`` (a socket path), ``host``, ``host:port``, ``[v6 address]:port`` (UDP),
    or any of those after ``tcp:``; raises OSError when the port is not a number."""
    if setting.startswith("/"):
        return setting, socket.SOCK_DGRAM
    kind = socket.SOCK_STREAM if setting.startswith("tcp:") else socket.SOCK_DGRAM
    rest = setting.removeprefix("tcp:").removeprefix("udp:").lstrip("/")
    if rest.startswith("["):
        host, _, port = rest[1:].partition("]")
        port = port.removeprefix(":")
    elif rest.count(":") == 1:
        host, _, port = rest.partition(":")
    else:
        host, port = rest, ""
    if port and not port.isdigit():
        raise OSError(f"the syslog port {port} is not a number")
    return (host, int(port) if port else SYSLOG_PORT), kind


def send_to_syslog(setting: str, line: str) -> None:
    """Send one line to syslog (facility authpriv, as ``mlat-audit``); raises OSError."""
    address, kind = syslog_address(setting)
    handler = _Syslog(address=address, facility=SysLogHandler.LOG_AUTHPRIV, socktype=kind)
    handler.ident = "mlat-audit: "
    try:
        record = logging.LogRecord("mlat.audit", logging.INFO, __file__, 0, line, None, None)
        handler.emit(record)
    finally:
        handler.close()
