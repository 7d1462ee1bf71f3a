"""Running one packet job: claim it, render it in the sandbox, keep the result.

Each step commits on its own, so that no transaction stays open while rendering, and the
claim's token decides at the end whether the result still counts. While the sandboxed
child renders, the thread waiting for it marks the job alive every few seconds (the
heartbeat that ``mlat.jobs.reaper`` watches), and stops the render when the claim was
taken from it. No Flask here: the app's local worker threads, the RQ worker and the
tests call ``run_packet_job`` alike.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from mlat.jobs.sandbox import Limits, RenderAbandoned, RenderFailed, render_isolated
from mlat.messages import N_
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
                pdf = render_isolated(values, internal=claim.kind == svc.INTERNAL, limits=limits,
                                      alive=lambda: _beat(session, claim))  # fmt: skip
        except RenderAbandoned:
            log.warning("Packet job %s was taken from its render, which was stopped", job_id)
            return "lost"
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


def _beat(session: Session, claim: svc.Claim) -> bool:
    """Mark the job alive; whether the render still counts. When the database does not
    answer, it may: render on, and let the claim's token decide at the end."""
    try:
        held = svc.beat(session=session, claim=claim)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.warning("Could not mark packet job %s alive", claim.job_id, exc_info=True)
        return True
    return held


def _message(exc: ServiceError) -> str:
    if isinstance(exc, RenderFailed) and "seconds" in exc.params:
        return TOO_SLOW
    if isinstance(exc, RenderFailed) and "mb" in exc.params:
        return TOO_BIG
    if not isinstance(exc, RenderFailed) and not exc.params:
        return exc.message  # a reason the user can act on, e.g. no signing certificate
    return svc.RENDER_FAILED
