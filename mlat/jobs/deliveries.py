"""Running one webhook delivery: claim it, sign it, send it, keep the outcome; and
finding deliveries due again (a retry, a lost queue, a dead worker) to queue them.

As with packet jobs (``runner``, ``reaper``), each step commits on its own, so that no
transaction stays open while the receiver is waited for, and the claim's token decides
whether the outcome still counts. No Flask here: the app's worker threads, the RQ
worker and the tests call ``run_delivery`` and ``reap_deliveries`` alike.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from mlat.crypto import DataKeyError
from mlat.dispatch import JobKind, JobQueue
from mlat.messages import N_
from mlat.models import utcnow
from mlat.services import ServiceError
from mlat.services import webhook_deliveries as svc
from mlat.services.webhook_events import DeliveryStatus
from mlat.services.webhook_network import AddressRefused, Answer, check_url, post

log = logging.getLogger(__name__)

SECRET_UNOPENED = N_("The endpoint's secret could not be opened with this server's keys.")


def run_delivery(engine: Engine, delivery_id: int, outbound: svc.Outbound) -> str:
    """Make one attempt at the delivery if it is queued; returns what happened (for logs
    and tests): delivered, pending (tried again later), failed, skipped (not queued) or
    lost (the claim was taken from it meanwhile)."""
    with Session(engine, expire_on_commit=False) as session:
        claim = svc.claim(session=session, delivery_id=delivery_id)
        session.commit()
        if claim is None:
            return "skipped"
        final = False
        try:
            message = svc.message_for(session=session, claim=claim, base_url=outbound.base_url)
            session.rollback()  # end the read transaction before waiting for the receiver
            target = check_url(message.url, outbound.reach)  # again: the name may move
        except AddressRefused as exc:
            answer = Answer(None, exc.reason)
        except DataKeyError:
            log.exception("The secret of webhook delivery %s's endpoint did not open", delivery_id)
            answer = Answer(None, SECRET_UNOPENED)
        except ServiceError as exc:  # the endpoint was turned off
            answer, final = Answer(None, exc.message), True
        else:
            answer = post(target, message.body, message.headers, timeout=outbound.reach.timeout)
        session.rollback()
        outcome = svc.record_attempt(session=session, claim=claim, answer=answer, final=final)
        session.commit()
    if outcome != DeliveryStatus.delivered:
        log.info("Webhook delivery %s: %s (%s)", delivery_id, outcome, answer.error)
    return outcome


@dataclass(frozen=True)
class Requeued:
    queued: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()


def reap_deliveries(
    engine: Engine, queue: JobQueue, *, every_queued: bool = False,
    now: dt.datetime | None = None,
) -> Requeued:  # fmt: skip
    """Queue the deliveries whose time has come (a retry due, one its queue or worker
    lost), or fail those a day old; ``every_queued`` queues again every queued one (a
    worker starting: the queue may have been lost with them)."""
    now = now or utcnow()
    queued: list[int] = []
    failed: list[int] = []
    with Session(engine, expire_on_commit=False) as session:
        for delivery in svc.due_deliveries(session=session, now=now, every_queued=every_queued):
            assert delivery.id is not None
            was = delivery.status
            outcome = svc.requeue(session=session, delivery=delivery, now=now)
            if outcome == DeliveryStatus.queued:
                queued.append(delivery.id)
            elif outcome == DeliveryStatus.failed:
                failed.append(delivery.id)
            if was == DeliveryStatus.delivering and outcome != "moved":
                log.warning("Webhook delivery %s lost its worker: %s", delivery.id, outcome)
        session.commit()
    for delivery_id in queued:  # once committed, as dispatch does
        try:
            queue.enqueue(delivery_id, JobKind.webhook)
        except Exception:  # stays queued, and is found again next time
            log.exception("Could not queue webhook delivery %s again", delivery_id)
    return Requeued(tuple(queued), tuple(failed))
