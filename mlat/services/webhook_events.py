"""The events a unit's webhook endpoints may ask for, and recording them as deliveries.

An event becomes one ``WebhookDelivery`` row for each active endpoint of the request's
unit that asked for it, written in the transaction of what caused it (a workflow step,
``flask notify deadlines``, a finished packet job) and queued once that transaction
commits (``mlat.dispatch``): a rolled-back step sends nothing. The payload names the
request by its id, reference and status (its link is added when sent, from the base
URL); it carries the request document only to an endpoint allowed content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from mlat.dispatch import JobKind, enqueue_after_commit
from mlat.models import MlaRequest, Unit, WebhookDelivery, WebhookEndpoint, WorkflowAction, utcnow
from mlat.services.validation import request_document
from mlat.services.webhook_signing import new_message_id


class WebhookEvent(StrEnum):
    request_submitted = "request.submitted"
    request_returned = "request.returned"
    request_approved = "request.approved"
    request_signed = "request.signed"
    request_transmitted = "request.transmitted"
    request_status_recorded = "request.status_recorded"
    """the requested state acknowledged, executed (partly) or refused the request"""
    preservation_lapsing_14 = "preservation.lapsing_14"
    preservation_lapsing_7 = "preservation.lapsing_7"
    packet_ready = "packet.ready"
    case_request_changed = "case.request_changed"
    """a request of a case the unit leads or is a partner of took a workflow step"""


class DeliveryStatus(StrEnum):
    """Where a delivery stands; ``next_attempt_at`` says when to look at it again."""

    queued = "queued"
    """handed to the job queue; queued again if no worker took it by ``next_attempt_at``"""
    delivering = "delivering"
    """claimed by a worker; its worker died if it still is at ``next_attempt_at``"""
    pending = "pending"
    """an attempt failed; the next is due at ``next_attempt_at``"""
    delivered = "delivered"
    failed = "failed"
    """given up: a day of attempts failed, or the endpoint was turned off or deleted"""


STEP_EVENTS: dict[WorkflowAction, WebhookEvent] = {
    WorkflowAction.submit: WebhookEvent.request_submitted,
    WorkflowAction.return_: WebhookEvent.request_returned,
    WorkflowAction.approve: WebhookEvent.request_approved,
    WorkflowAction.sign: WebhookEvent.request_signed,
    WorkflowAction.transmit: WebhookEvent.request_transmitted,
    WorkflowAction.acknowledge: WebhookEvent.request_status_recorded,
    WorkflowAction.execute_partly: WebhookEvent.request_status_recorded,
    WorkflowAction.execute: WebhookEvent.request_status_recorded,
    WorkflowAction.refuse: WebhookEvent.request_status_recorded,
}
QUEUE_LOST_AFTER = dt.timedelta(minutes=2)
"""a delivery queued and not taken for this long was lost by its queue"""


def subscribed(*, session: Session, unit_id: int, event: WebhookEvent) -> list[WebhookEndpoint]:
    """The unit's active endpoints that asked for the event."""
    endpoints = session.exec(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.unit_id == unit_id, col(WebhookEndpoint.active))
        .order_by(col(WebhookEndpoint.id))
    )
    return [e for e in endpoints if event in e.events]


def request_summary(request: MlaRequest) -> dict[str, Any]:
    """What every delivery says of the request (its ``url`` is added when sent)."""
    return {"id": request.id, "reference": request.reference, "status": str(request.status)}


def _document(session: Session, request: MlaRequest) -> dict[str, Any]:
    """The request as ``exchange.export_document`` exports it (which this module, below
    the workflow steps, cannot import: exchange imports the requests service)."""
    unit = session.get_one(Unit, request.unit_id)
    return request_document(request=request, unit=unit).model_dump(mode="json")


def emit(
    *,
    session: Session,
    request: MlaRequest,
    event: WebhookEvent,
    data: dict[str, Any] | None = None,
    unless_sent: tuple[WebhookEvent, ...] = (),
    now: dt.datetime | None = None,
    unit_ids: Sequence[int] = (),
) -> list[WebhookDelivery]:
    """Record the event for each endpoint of the request's unit (or of ``unit_ids``)
    that asked for it, queued once the caller commits; ``unless_sent``: not to an
    endpoint that was already sent one of these events about the request."""
    now = now or utcnow()
    endpoints = [
        endpoint
        for unit_id in unit_ids or (request.unit_id,)
        for endpoint in subscribed(session=session, unit_id=unit_id, event=event)
    ]
    if unless_sent:
        endpoints = [e for e in endpoints if not _sent(session, e, request, unless_sent)]
    if not endpoints:
        return []
    message_id = new_message_id()
    payload_data = {"request": request_summary(request), **(data or {})}
    document = None
    deliveries = []
    for endpoint in endpoints:
        assert endpoint.id is not None
        body = dict(payload_data)
        if endpoint.include_content:
            document = document or _document(session, request)
            body["document"] = document
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=message_id,
            event_type=event,
            request_id=request.id,
            payload={"id": message_id, "type": str(event),
                     "timestamp": now.isoformat().replace("+00:00", "Z"), "data": body},
            status=DeliveryStatus.queued,
            next_attempt_at=now + QUEUE_LOST_AFTER,
            created_at=now,
        )  # fmt: skip
        session.add(delivery)
        deliveries.append(delivery)
    session.flush()
    for delivery in deliveries:
        assert delivery.id is not None
        enqueue_after_commit(session, delivery.id, JobKind.webhook)
    return deliveries


def _sent(
    session: Session, endpoint: WebhookEndpoint, request: MlaRequest, events: tuple[str, ...]
) -> bool:
    return (
        session.exec(
            select(WebhookDelivery.id).where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.request_id == request.id,
                col(WebhookDelivery.event_type).in_(events),
            )
        ).first()
        is not None
    )


def after_step(
    *, session: Session, request: MlaRequest, action: WorkflowAction, from_status: str
) -> None:
    """The event of a workflow step, if it has one."""
    event = STEP_EVENTS.get(action)
    if event is not None:
        emit(session=session, request=request, event=event,
             data={"action": str(action), "previous_status": str(from_status)})  # fmt: skip


# The preservation warnings' levels (``notifications.PRESERVATION_LEVELS``), by days left.
LAPSING: dict[int, WebhookEvent] = {
    7: WebhookEvent.preservation_lapsing_7,
    14: WebhookEvent.preservation_lapsing_14,
}


def preservation_lapsing(
    *, session: Session, request: MlaRequest, days: int, today: dt.date
) -> list[WebhookDelivery]:
    """Once per request and endpoint: lapsing within 14 days, and again within 7; one
    found within 7 days at once gets only that."""
    event = LAPSING[days]
    more_urgent = tuple(e for d, e in LAPSING.items() if d <= days)
    expires = request.preservation_expires_on
    data = {"preservation": {"expires_on": expires.isoformat() if expires else None,
                             "days_left": (expires - today).days if expires else None}}  # fmt: skip
    return emit(session=session, request=request, event=event, data=data,
                unless_sent=more_urgent)  # fmt: skip


def packet_ready(*, session: Session, request: MlaRequest, kind: str) -> None:
    emit(session=session, request=request, event=WebhookEvent.packet_ready,
         data={"packet": {"kind": kind}})  # fmt: skip
