"""Helpers for tests of webhooks: endpoints registered through the service, a delivery
in the log, a receiver on the loopback address, and a signature check of its own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlmodel import Session

from mlat.models import User, WebhookDelivery, WebhookEndpoint
from mlat.services import webhooks
from mlat.services.webhook_events import DeliveryStatus, WebhookEvent
from mlat.services.webhook_network import Reach

PUBLIC = "192.0.43.10"  # an address on the internet (example.org's, once)
# Names resolved without DNS: one on the internet, one on a private network.
NAMES = {"hooks.example.org": [PUBLIC], "intranet.example.org": ["10.1.2.3"]}


def fake_resolve(host: str, _port: int) -> list[str]:
    if host in ("localhost", "localhost.localdomain"):
        return ["127.0.0.1"]
    if host not in NAMES:
        raise OSError(f"unknown host {host}")
    return NAMES[host]


OUTSIDE = Reach(resolve=fake_resolve)
"""an installation's reach, not in testing mode"""
TESTING = Reach(loopback=True, resolve=fake_resolve)


def register(
    db: Session,
    admin: User,
    url: str = "https://hooks.example.org/mlat",
    events: Sequence[str] = tuple(WebhookEvent),
    *,
    include_content: bool = False,
    reach: Reach = TESTING,
) -> tuple[WebhookEndpoint, str]:
    """An endpoint of the admin's unit, committed, and its secret."""
    endpoint, secret = webhooks.create_endpoint(session=db, actor=admin, url=url,
                                                description="Case system", events=events,
                                                include_content=include_content,
                                                reach=reach)  # fmt: skip
    db.commit()
    return endpoint, secret


def failed_delivery(db: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A delivery to the endpoint that failed, committed."""
    assert endpoint.id is not None
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id="msg_test",
                               event_type=WebhookEvent.request_submitted,
                               payload={"id": "msg_test", "type": "request.submitted", "data": {}},
                               status=DeliveryStatus.failed, attempts=12,
                               last_status_code=500)  # fmt: skip
    db.add(delivery)
    db.commit()
    return delivery


# A receiver on 127.0.0.1 ------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server in a thread that keeps what it receives and answers each POST with
    the next of ``answers`` (then 204)."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/mlat"


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver on a free port, stopped at the end."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver = box[0]
            receiver.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status, headers = receiver.answers.pop(0) if receiver.answers else (204, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


# An independent check of a signature, as the Standard Webhooks libraries make it --------


def verifies(
    secret: str, headers: dict[str, str], body: bytes, *, now: float, tolerance: int = 300
) -> bool:
    """Whether one of the message's signatures is the secret's, and its timestamp recent."""
    key = base64.b64decode(secret.split("_", 1)[1])
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now - int(timestamp)) > tolerance:
        return False
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1) for s in headers["webhook-signature"].split(" ")]
    return any(v == "v1" and hmac.compare_digest(sig, expected) for v, sig in given)
