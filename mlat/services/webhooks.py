"""A unit's webhook endpoints, as its administrators manage them: registering one (its
address checked: ``webhook_network``), changing it, rotating its secret, deleting it,
reading its delivery log and replaying a delivery. Each change is audited with the
endpoint's id. The secret is shown once, when made, and kept sealed (``mlat.crypto``);
after a rotation the previous secret signs too, for a day (``webhook_deliveries``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.crypto import keyring_for
from mlat.dispatch import JobKind, enqueue_after_commit
from mlat.messages import N_
from mlat.models import User, WebhookDelivery, WebhookEndpoint, utcnow
from mlat.services import NotFound, ServiceError, audit
from mlat.services.administration import OutOfScope
from mlat.services.webhook_deliveries import ROTATION_OVERLAP
from mlat.services.webhook_events import QUEUE_LOST_AFTER, DeliveryStatus, WebhookEvent
from mlat.services.webhook_network import Reach, check_url
from mlat.services.webhook_signing import new_secret, previous_context, secret_context

URL_MAX = 2000
DESCRIPTION_MAX = 200
LOG_LIMIT = 100


def _checked(
    url: str, description: str, events: Sequence[str], reach: Reach
) -> tuple[str, str, list[str]]:
    url, description = url.strip(), description.strip()
    if not url or len(url) > URL_MAX:
        raise ServiceError(N_("Enter the endpoint's address, in at most %(n)d characters."),
                           n=URL_MAX)  # fmt: skip
    if len(description) > DESCRIPTION_MAX:
        raise ServiceError(N_("Describe the endpoint in at most %(n)d characters."),
                           n=DESCRIPTION_MAX)  # fmt: skip
    chosen: list[str] = [str(e) for e in WebhookEvent if e in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise ServiceError(N_("Choose the events the endpoint receives."))
    check_url(url, reach)
    return url, description, chosen


def create_endpoint(
    *, session: Session, actor: User, url: str, description: str, events: Sequence[str],
    include_content: bool, reach: Reach, client_addr: str = "",
) -> tuple[WebhookEndpoint, str]:  # fmt: skip
    """Register an endpoint of the actor's unit; the endpoint and its secret, which is
    shown this once."""
    url, description, chosen = _checked(url, description, events, reach)
    assert actor.id is not None and actor.unit_id is not None
    endpoint = WebhookEndpoint(unit_id=actor.unit_id, url=url, description=description,
                               events=chosen, include_content=include_content,
                               secret_sealed="", created_by=actor.id)  # fmt: skip
    session.add(endpoint)
    session.flush()
    assert endpoint.id is not None
    secret = new_secret()
    sealed = keyring_for(session).seal_text(secret, context=secret_context(endpoint.id))
    endpoint.secret_sealed = sealed
    session.add(endpoint)
    session.flush()
    audit.record(session=session, action=AuditAction.webhook_create, user=actor,
                 object_type="webhook_endpoint", object_id=endpoint.id,
                 details={"url": url, "events": chosen, "include_content": include_content},
                 client_addr=client_addr)  # fmt: skip
    return endpoint, secret


def update_endpoint(
    *, session: Session, endpoint: WebhookEndpoint, actor: User, url: str, description: str,
    events: Sequence[str], include_content: bool, active: bool, reach: Reach,
    client_addr: str = "",
) -> WebhookEndpoint:  # fmt: skip
    url, description, chosen = _checked(url, description, events, reach)
    before = _settings(endpoint)
    endpoint.url, endpoint.description, endpoint.events = url, description, chosen
    endpoint.include_content, endpoint.active = include_content, active
    session.add(endpoint)
    session.flush()
    after = _settings(endpoint)
    changed = {k: v for k, v in after.items() if before[k] != v}
    audit.record(session=session, action=AuditAction.webhook_update, user=actor,
                 object_type="webhook_endpoint", object_id=endpoint.id, details=changed,
                 client_addr=client_addr)  # fmt: skip
    return endpoint


def _settings(endpoint: WebhookEndpoint) -> dict[str, object]:
    return {"url": endpoint.url, "description": endpoint.description,
            "events": list(endpoint.events), "include_content": endpoint.include_content,
            "active": endpoint.active}  # fmt: skip


def rotate_secret(
    *, session: Session, endpoint: WebhookEndpoint, actor: User, client_addr: str = "",
    now: dt.datetime | None = None,
) -> str:  # fmt: skip
    """A new secret for the endpoint, shown this once; the one it replaces still signs
    for a day, so that the receiver can be given the new one meanwhile."""
    assert endpoint.id is not None
    now = now or utcnow()
    keyring = keyring_for(session)
    current = keyring.open_text(endpoint.secret_sealed, context=secret_context(endpoint.id))
    secret = new_secret()
    previous = keyring.seal_text(current, context=previous_context(endpoint.id))
    endpoint.previous_secret_sealed = previous
    endpoint.previous_until = now + ROTATION_OVERLAP
    endpoint.secret_sealed = keyring.seal_text(secret, context=secret_context(endpoint.id))
    session.add(endpoint)
    session.flush()
    audit.record(session=session, action=AuditAction.webhook_rotate, user=actor,
                 object_type="webhook_endpoint", object_id=endpoint.id,
                 details={"previous_until": endpoint.previous_until.isoformat()},
                 client_addr=client_addr)  # fmt: skip
    return secret


def delete_endpoint(
    *, session: Session, endpoint: WebhookEndpoint, actor: User, client_addr: str = ""
) -> None:
    """Delete the endpoint and its delivery log; deliveries not yet made are not made."""
    endpoint_id, url = endpoint.id, endpoint.url
    session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id))
    session.delete(endpoint)
    session.flush()
    audit.record(session=session, action=AuditAction.webhook_delete, user=actor,
                 object_type="webhook_endpoint", object_id=endpoint_id,
                 details={"url": url}, client_addr=client_addr)  # fmt: skip


def endpoints_of(*, session: Session, user: User) -> list[WebhookEndpoint]:
    return list(
        session.exec(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.unit_id == user.unit_id)
            .order_by(col(WebhookEndpoint.id))
        )
    )


def get_endpoint(*, session: Session, user: User, endpoint_id: int) -> WebhookEndpoint:
    """An endpoint of the user's unit; another unit's is as missing as none (but told
    apart, as ``OutOfScope``, for the audit trail)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(N_("There is no such webhook endpoint."))
    if endpoint.unit_id != user.unit_id:
        raise OutOfScope(N_("There is no such webhook endpoint."))
    return endpoint


def delivery_log(
    *, session: Session, endpoint: WebhookEndpoint, limit: int = LOG_LIMIT
) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first."""
    return list(
        session.exec(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(col(WebhookDelivery.id).desc())
            .limit(limit)
        )
    )


def get_delivery(
    *, session: Session, user: User, delivery_id: int
) -> tuple[WebhookDelivery, WebhookEndpoint]:
    """A delivery to an endpoint of the user's unit, with its endpoint."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(N_("There is no such delivery."))
    endpoint = get_endpoint(session=session, user=user, endpoint_id=delivery.endpoint_id)
    return delivery, endpoint


def replay(
    *, session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint, actor: User,
    client_addr: str = "", now: dt.datetime | None = None,
) -> WebhookDelivery:  # fmt: skip
    """Send the delivery's event again, as a new delivery with the same message id (a
    receiver that has it already can tell), tried for a day like the first."""
    if not endpoint.active:
        raise ServiceError(N_("Turn the endpoint on before sending a delivery again."))
    now = now or utcnow()
    again = WebhookDelivery(endpoint_id=delivery.endpoint_id, event_id=delivery.event_id,
                            event_type=delivery.event_type, request_id=delivery.request_id,
                            payload=delivery.payload, status=DeliveryStatus.queued,
                            next_attempt_at=now + QUEUE_LOST_AFTER, created_at=now)  # fmt: skip
    session.add(again)
    session.flush()
    assert again.id is not None
    enqueue_after_commit(session, again.id, JobKind.webhook)
    audit.record(session=session, action=AuditAction.webhook_replay, user=actor,
                 object_type="webhook_endpoint", object_id=endpoint.id,
                 details={"delivery": delivery.id or 0, "replay": again.id,
                          "event": delivery.event_id}, client_addr=client_addr)  # fmt: skip
    return again
