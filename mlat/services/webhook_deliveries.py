"""A worker's side of a webhook delivery: its claim, the signed message, the outcome of
each attempt, and finding deliveries that are due again or were lost.

Like packet jobs (``packet_jobs``, ``lost_jobs``), each change is an update conditional
on the row as it was seen, so that a delivery queued twice, or found by several reapers
at once, is attempted once at a time; the claim's token decides whether an attempt's
outcome still counts. A failed attempt is tried again after 30 seconds, then after
twice as long each time, until a day after the event: then the delivery fails.
Delivery is at least once: a receiver tells a repeated message by its ``webhook-id``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from mlat.config import Config
from mlat.crypto import keyring_for
from mlat.dates import utc
from mlat.messages import N_
from mlat.models import WebhookDelivery, WebhookEndpoint, utcnow
from mlat.services import ServiceError
from mlat.services.webhook_events import QUEUE_LOST_AFTER, DeliveryStatus
from mlat.services.webhook_network import Answer, Reach
from mlat.services.webhook_signing import previous_context, secret_context, signed_headers

FIRST_RETRY = dt.timedelta(seconds=30)
GIVE_UP_AFTER = dt.timedelta(days=1)
CLAIM_LEASE = dt.timedelta(minutes=2)
"""a delivery claimed this long ago whose worker said nothing more was lost with it"""
ROTATION_OVERLAP = dt.timedelta(days=1)
TURNED_OFF = N_("The endpoint was turned off or deleted before the delivery was made.")
OPEN = (DeliveryStatus.queued, DeliveryStatus.delivering, DeliveryStatus.pending)


@dataclass(frozen=True)
class Outbound:
    """What a worker needs to send deliveries: where they may go, and the app's address
    for the requests' links."""

    reach: Reach = field(default_factory=Reach)
    base_url: str = "http://127.0.0.1:5000"

    @classmethod
    def of(cls, config: Config) -> Outbound:
        return cls(Reach.of(config), config.base_url.rstrip("/"))


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    token: str


@dataclass(frozen=True)
class Message:
    url: str
    body: bytes
    headers: dict[str, str]


def claim(*, session: Session, delivery_id: int, now: dt.datetime | None = None) -> Claim | None:
    """Move a queued delivery to delivering for this worker; None when it is not queued
    (delivered, taken by another worker, waiting for its retry, given up, or gone)."""
    token = secrets.token_hex(16)
    now = now or utcnow()
    moved = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id,
               col(WebhookDelivery.status) == DeliveryStatus.queued)
        .values(status=DeliveryStatus.delivering, token=token, next_attempt_at=now + CLAIM_LEASE,
                attempts=col(WebhookDelivery.attempts) + 1)
    )  # fmt: skip
    return Claim(delivery_id, token) if moved.rowcount == 1 else None  # type: ignore[attr-defined]


def signing_secrets(
    *, session: Session, endpoint: WebhookEndpoint, now: dt.datetime | None = None
) -> list[str]:
    """The endpoint's secret, and the one before it for a day after a rotation."""
    assert endpoint.id is not None
    keyring = keyring_for(session)
    found = [keyring.open_text(endpoint.secret_sealed, context=secret_context(endpoint.id))]
    until = endpoint.previous_until
    if endpoint.previous_secret_sealed and until and utc(until) > (now or utcnow()):
        found.append(keyring.open_text(endpoint.previous_secret_sealed,
                                       context=previous_context(endpoint.id)))  # fmt: skip
    return found


def message_for(
    *, session: Session, claim: Claim, base_url: str, now: dt.datetime | None = None
) -> Message:
    """The delivery as it is sent now: its body (the request's link added, the request
    document left out unless the endpoint still allows content), signed with the
    endpoint's secrets; ``ServiceError`` when the endpoint was turned off."""
    now = now or utcnow()
    delivery = session.get_one(WebhookDelivery, claim.delivery_id)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.active:
        raise ServiceError(TURNED_OFF)
    payload = json.loads(json.dumps(delivery.payload))  # a copy, the row unchanged
    data = payload.setdefault("data", {})
    if not endpoint.include_content:
        data.pop("document", None)
    if isinstance(data.get("request"), dict):
        data["request"]["url"] = f"{base_url}/requests/{data['request']['id']}"
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    keys = signing_secrets(session=session, endpoint=endpoint, now=now)
    headers = signed_headers(message_id=delivery.event_id, timestamp=int(now.timestamp()),
                             body=body, secrets_=keys)  # fmt: skip
    return Message(endpoint.url, body, headers)


def _close(session: Session, claim: Claim, **values: object) -> bool:
    moved = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == claim.delivery_id,
               col(WebhookDelivery.token) == claim.token,
               col(WebhookDelivery.status) == DeliveryStatus.delivering)
        .values(**values)
    )  # fmt: skip
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def retry_at(*, attempts: int, created_at: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When to try again after ``attempts`` failed: 30 s after the first, twice as long
    after each next one, the last a day after the event; None: give up."""
    deadline = utc(created_at) + GIVE_UP_AFTER
    if now >= deadline:
        return None
    later: dt.datetime = now + FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(later, deadline)


def record_attempt(
    *, session: Session, claim: Claim, answer: Answer, final: bool = False,
    now: dt.datetime | None = None,
) -> str:  # fmt: skip
    """Keep the attempt's outcome: delivered, pending (tried again later) or failed
    (``final``: not worth trying again); lost when the claim no longer holds."""
    now = now or utcnow()
    delivery = session.get_one(WebhookDelivery, claim.delivery_id)
    session.refresh(delivery)
    seen = {"last_status_code": answer.status, "last_error": answer.error[:500]}
    if answer.accepted:
        kept = _close(session, claim, status=DeliveryStatus.delivered, delivered_at=now, **seen)
        return DeliveryStatus.delivered if kept else "lost"
    later = None if final else retry_at(attempts=delivery.attempts,
                                        created_at=delivery.created_at, now=now)  # fmt: skip
    if later is None:
        kept = _close(session, claim, status=DeliveryStatus.failed, **seen)
        return DeliveryStatus.failed if kept else "lost"
    kept = _close(session, claim, status=DeliveryStatus.pending, next_attempt_at=later, **seen)
    return DeliveryStatus.pending if kept else "lost"


def due_deliveries(
    *, session: Session, now: dt.datetime, every_queued: bool = False, limit: int = 200
) -> list[WebhookDelivery]:
    """Deliveries whose time has come: a retry due, a queued one no worker took, one
    whose worker died; ``every_queued``: every queued one, however recent."""
    due: ColumnElement[bool] = col(WebhookDelivery.next_attempt_at) <= now
    if every_queued:
        due = due | (col(WebhookDelivery.status) == DeliveryStatus.queued)
    return list(
        session.exec(
            select(WebhookDelivery)
            .where(col(WebhookDelivery.status).in_(OPEN), due)
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(limit)
        )
    )


def requeue(*, session: Session, delivery: WebhookDelivery, now: dt.datetime) -> str:
    """Queue a due delivery (as ``due_deliveries`` found it) again, or fail it a day after
    its event; ``moved`` when someone changed it since it was seen."""
    seen = [
        col(WebhookDelivery.id) == delivery.id,
        col(WebhookDelivery.status) == delivery.status,
        col(WebhookDelivery.token) == delivery.token,
        col(WebhookDelivery.attempts) == delivery.attempts,
    ]
    if now >= utc(delivery.created_at) + GIVE_UP_AFTER:
        values: dict[str, object] = {"status": DeliveryStatus.failed}
        if delivery.status == DeliveryStatus.delivering:
            values["last_error"] = N_("The worker sending the delivery stopped before finishing.")
        outcome = DeliveryStatus.failed
    else:
        values = {"status": DeliveryStatus.queued, "next_attempt_at": now + QUEUE_LOST_AFTER}
        outcome = DeliveryStatus.queued
    moved = session.execute(update(WebhookDelivery).where(*seen).values(**values))
    return outcome if moved.rowcount == 1 else "moved"  # type: ignore[attr-defined]
