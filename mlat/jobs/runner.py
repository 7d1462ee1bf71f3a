"""Running one packet job: claim it, render it in the sandbox, keep the result.

Each step commits on its own, so that no transaction stays open while rendering, and the
claim's token decides at the end whether the result still counts. No Flask here: the
app's local worker threads, the RQ worker and the tests call ``run_packet_job`` alike.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mlat.dispatch import JobQueue
from mlat.jobs.sandbox import Limits, RenderFailed, render_isolated
from mlat.messages import N_
from mlat.models import PacketJob, PacketJobStatus, utcnow
from mlat.services import ServiceError
from mlat.services import packet_jobs as svc
from mlat.services.signing import SigningKeys

log = logging.getLogger(__name__)

TOO_SLOW = N_(
    "Rendering the packet took longer than the time limit. Try again, or ask your "
    "administrator to raise the limit."
)
TOO_BIG = N_(
    "Rendering the packet needed more memory than the limit. Try again, or ask "
    "your administrator to raise the limit."
)


def run_packet_job(engine: Engine, job_id: int, limits: Limits, keys: SigningKeys) -> str:
    """Render the job if it is still pending; returns what happened (for logs and tests):
    done, failed, skipped (not pending: done already, or running elsewhere) or lost (the
    claim was taken from it meanwhile, and nothing was kept)."""
    with Session(engine, expire_on_commit=False) as session:
        claim = svc.claim_job(session=session, job_id=job_id)
        session.commit()
        if claim is None:
            return "skipped"
        try:
            values, basis = svc.claimed_values(session=session, claim=claim)
            digest = svc.values_digest(values) if claim.kind in svc.COMPARED else ""
            pdf = None
            if claim.kind == svc.SIGNED:  # rendered while the prosecutor read the request
                pdf = svc.ready_render(session=session, request_id=claim.request_id,
                                       digest=digest)  # fmt: skip
            session.rollback()  # end the read transaction before the long render
            if pdf is None:
                pdf = render_isolated(values, internal=claim.kind == svc.INTERNAL, limits=limits)
        except (RenderFailed, ServiceError) as exc:
            session.rollback()
            message = _message(exc)
            log.warning("Packet job %s failed: %s", job_id, exc)
            kept = svc.fail_job(session=session, claim=claim, message=message)
            session.commit()
            return "failed" if kept else "lost"
        try:
            kept = svc.finish_job(session=session, claim=claim, pdf=pdf, basis=basis, keys=keys,
                                  digest=digest)  # fmt: skip
        except ServiceError as exc:  # the signature could not be made
            session.rollback()
            log.warning("Packet job %s could not be signed: %s", job_id, exc)
            kept = svc.fail_job(session=session, claim=claim, message=_message(exc))
            session.commit()
            return "failed" if kept else "lost"
        session.commit()
        return "done" if kept else "lost"


def _message(exc: ServiceError) -> str:
    if isinstance(exc, RenderFailed) and "seconds" in exc.params:
        return TOO_SLOW
    if isinstance(exc, RenderFailed) and "mb" in exc.params:
        return TOO_BIG
    if not isinstance(exc, RenderFailed) and not exc.params:
        return exc.message  # a reason the user can act on, e.g. no signing certificate
    return svc.RENDER_FAILED


def requeue_lost(engine: Engine, queue: JobQueue, *, older_than: dt.timedelta) -> int:
    """Queue again the jobs left pending (queued by a process that died before handing
    them on, or by a script without a queue) or running past any time limit (their
    worker died): a worker calls this when it starts."""
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        jobs = list(
            session.exec(
                select(PacketJob).where(
                    col(PacketJob.status).in_([PacketJobStatus.pending, PacketJobStatus.running])
                )
            )
        )
        lost = [
            job
            for job in jobs
            if job.status == PacketJobStatus.pending or svc.is_stuck(job, now=now, after=older_than)
        ]
        for job in lost:
            if job.status == PacketJobStatus.running:
                job.status, job.token = PacketJobStatus.pending, ""
                session.add(job)
        session.commit()
    for job in lost:
        assert job.id is not None
        queue.enqueue(job.id)
    return len(lost)
