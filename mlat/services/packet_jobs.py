"""Packet renders off the request path: asking for one, a worker's claim on it, the
result kept while the claim holds, and what the request page shows of it.

Signing, or a user asking for a draft or the internal copy, records a ``PacketJob`` (one
per request and kind) and has it queued once the caller commits (``mlat.jobs``). A
worker claims the job, renders, and keeps the result only while its claim holds: the
signed packet once (``packets.store_signed_packet``), a draft or internal copy as the
job's file, replaced by the next render. While it renders, the worker marks the job alive
(``beat``); a job whose worker stopped doing so counts as stuck (``is_stuck``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from mlat.config import JobSettings
from mlat.dates import local_date, utc
from mlat.dispatch import enqueue_after_commit
from mlat.messages import N_
from mlat.models import (
    FileContent,
    MlaRequest,
    Packet,
    PacketJob,
    PacketJobStatus,
    PacketKind,
    StoredFile,
    User,
    utcnow,
)
from mlat.packets.values import PacketValues
from mlat.services import Conflict, ServiceError, webhook_events
from mlat.services.files import content_bytes, file_bytes
from mlat.services.packets import (
    packet_values_for,
    store_file,
    store_signed_packet,
    stored_packet,
    unit_of,
)
from mlat.services.signing import SigningKeys, sign_packet, signing_refusal

SIGNED, DRAFT, INTERNAL = PacketKind.signed, PacketKind.draft, PacketKind.internal
READY = PacketKind.ready
KINDS = (SIGNED, DRAFT, INTERNAL)  # the copies users ask for; READY is asked for by the page
RENDER_FAILED = N_("The packet could not be rendered.")
LOST_AFTER = dt.timedelta(seconds=JobSettings.lost_after_seconds)


def external_kind(request: MlaRequest) -> PacketKind:
    """What the request's external copy is now: the signed packet, or a draft."""
    return SIGNED if request.signed_at is not None else DRAFT


def render_basis(
    *, session: Session, request: MlaRequest, kind: PacketKind, now: dt.datetime,
    user_id: int | None = None,
) -> str:  # fmt: skip
    """What a render of this kind is of: the request's version (every change of content,
    annexes or state raises it), for the internal copy the day of its rule check, and for
    the packet ready to sign the prosecutor and the day it would be signed."""
    if kind == SIGNED:
        return SIGNED
    if kind in (INTERNAL, READY):
        timezone = unit_of(session=session, request=request).timezone
        day = f"v{request.version} {local_date(now, timezone)}"
        return f"{day} u{user_id}" if kind == READY else day
    return f"v{request.version}"


def values_digest(values: PacketValues) -> str:
    """SHA-256 of the values a packet is rendered from (files by their digest): two
    renders of equal values are the same document. The moment of issue, which only dates
    the PDF's metadata, is left out: a packet rendered for signing in the morning is
    the one signed in the afternoon, and its metadata says when it was made."""

    def plain(value: object) -> object:
        if isinstance(value, bytes):
            return hashlib.sha256(value).hexdigest()
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        return repr(value)

    fields = dataclasses.asdict(values)
    del fields["issued_at"]
    data = json.dumps(fields, default=plain, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def prepare_signature(*, session: Session, request: MlaRequest, user: User) -> None:
    """Render the packet as this prosecutor would sign it today, while they read the
    request, so that signing only adds the signature (``run_packet_job``)."""
    if request.signed_at is not None or request.status != "approved":
        return
    if signing_refusal(session=session, user=user, now=utcnow()) is None:  # they can sign
        request_render(session=session, request=request, kind=READY, user=user)


def packet_job(*, session: Session, request: MlaRequest, kind: PacketKind) -> PacketJob | None:
    return session.exec(
        select(PacketJob).where(PacketJob.request_id == request.id, PacketJob.kind == kind)
    ).first()


def is_stuck(job: PacketJob, *, now: dt.datetime, after: dt.timedelta) -> bool:
    """Running without a sign of life, or queued without being taken, for longer than
    ``after``: its worker died or the queue lost it, and asking again starts it afresh."""
    if job.status == PacketJobStatus.running:
        since = job.heartbeat_at or job.started_at
    elif job.status == PacketJobStatus.pending:
        since = job.queued_at
    else:
        return False
    return since is None or now - utc(since) > after


def request_render(
    *,
    session: Session,
    request: MlaRequest,
    kind: PacketKind | str,
    user: User | None = None,
    now: dt.datetime | None = None,
    stuck_after: dt.timedelta = LOST_AFTER,
) -> PacketJob | None:
    """Ask for a render of the request's packet; it is queued when the caller commits.

    Idempotent: a render of the same thing already queued, running or done is not asked
    for again (None for a signed packet already stored). Two callers at once queue one
    render: the unique row, and the conditional update that resets it, decide."""
    if kind not in (*KINDS, READY):
        raise ServiceError(N_("There is no such copy of the packet."))
    kind = PacketKind(kind)
    if kind == SIGNED and request.signed_at is None:
        raise ServiceError(N_("Only a signed request's packet is stored."))
    if kind == DRAFT and request.signed_at is not None:
        raise ServiceError(N_("The request is signed: its packet is the signed one."))
    if kind == SIGNED and stored_packet(session=session, request=request) is not None:
        return None
    now = now or utcnow()
    user_id = user.id if user else None
    basis = render_basis(session=session, request=request, kind=kind, now=now, user_id=user_id)
    job = packet_job(session=session, request=request, kind=kind)
    if job is None:
        return _new_job(session, request, kind, basis, user, now)
    current = job.basis == basis and job.status != PacketJobStatus.failed
    if current and not is_stuck(job, now=now, after=stuck_after):
        return job
    return _reset_job(session, job, basis, user, now)


def _new_job(
    session: Session, request: MlaRequest, kind: PacketKind, basis: str, user: User | None,
    now: dt.datetime,
) -> PacketJob:  # fmt: skip
    """Insert the job's row, unless another instance inserted it first (theirs stands)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(PacketJob)
        .values(
            request_id=request.id,
            kind=kind,
            basis=basis,
            status=PacketJobStatus.pending,
            token="",
            attempts=0,
            lost_runs=0,
            error="",
            queued_at=now,
            requested_by=user.id if user else None,
        )
        .on_conflict_do_nothing(index_elements=["request_id", "kind"])
        .returning(col(PacketJob.id))
    ).scalar()
    job = packet_job(session=session, request=request, kind=kind)
    assert job is not None and job.id is not None
    if inserted is not None:
        enqueue_after_commit(session, job.id)
    return job


def _reset_job(
    session: Session, job: PacketJob, basis: str, user: User | None, now: dt.datetime
) -> PacketJob:
    """Queue a new render in the job's row, unless someone else changed the row first."""
    old_file = job.file_id
    moved = session.execute(
        update(PacketJob)
        .where(
            col(PacketJob.id) == job.id,
            col(PacketJob.status) == job.status,
            col(PacketJob.token) == job.token,
            col(PacketJob.basis) == job.basis,
        )
        .values(
            status=PacketJobStatus.pending,
            basis=basis,
            token="",
            error="",
            file_id=None,
            queued_at=now,
            started_at=None,
            heartbeat_at=None,
            lost_runs=0,
            finished_at=None,
            requested_by=user.id if user else None,
        )
    )
    session.refresh(job)
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return job
    if old_file is not None:
        session.execute(delete(StoredFile).where(col(StoredFile.id) == old_file))
    assert job.id is not None
    enqueue_after_commit(session, job.id)
    return job


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one render; its result counts only while the row has ``token``."""

    job_id: int
    request_id: int
    kind: PacketKind
    token: str


def claim_job(*, session: Session, job_id: int, now: dt.datetime | None = None) -> Claim | None:
    """Move a pending job to running for this worker; None when it is not pending (done,
    running elsewhere, failed, or gone), so a job queued twice is rendered once."""
    token = secrets.token_hex(16)
    now = now or utcnow()
    moved = session.execute(
        update(PacketJob)
        .where(col(PacketJob.id) == job_id, col(PacketJob.status) == PacketJobStatus.pending)
        .values(
            status=PacketJobStatus.running,
            token=token,
            started_at=now,
            heartbeat_at=now,
            attempts=col(PacketJob.attempts) + 1,
            error="",
        )
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return None
    job = session.get(PacketJob, job_id)
    assert job is not None
    session.refresh(job)
    return Claim(job_id=job_id, request_id=job.request_id, kind=PacketKind(job.kind), token=token)


def claimed_values(*, session: Session, claim: Claim) -> tuple[PacketValues, str]:
    """The values to render for a claim, and the basis they are of."""
    request = session.get(MlaRequest, claim.request_id)
    if request is None:
        raise ServiceError(N_("No such request."))
    now = utcnow()
    signer = None
    if claim.kind == READY:
        job = session.get(PacketJob, claim.job_id)
        signer = session.get(User, job.requested_by) if job and job.requested_by else None
        if signer is None:
            raise ServiceError(N_("No such user."))
    values = packet_values_for(session=session, request=request, internal=claim.kind == INTERNAL,
                               now=now, as_signed_by=signer)  # fmt: skip
    basis = render_basis(session=session, request=request, kind=claim.kind, now=now,
                         user_id=signer.id if signer else None)  # fmt: skip
    return values, basis


# The kinds whose renders are compared by their values: one made ready for signing, and
# the signed packet that may use it.
COMPARED = (SIGNED, READY)


def ready_render(*, session: Session, request_id: int, digest: str) -> bytes | None:
    """The packet rendered, while the prosecutor read the request, from the values of
    this digest (``values_digest``), if there is one: signing then only adds the
    signature."""
    found = session.exec(
        select(FileContent)
        .join(PacketJob, col(PacketJob.file_id) == FileContent.file_id)
        .where(
            PacketJob.request_id == request_id,
            PacketJob.kind == READY,
            PacketJob.status == PacketJobStatus.done,
            PacketJob.values_digest == digest,
        )
    ).first()
    return content_bytes(session=session, content=found) if found is not None else None


def beat(*, session: Session, claim: Claim, now: dt.datetime | None = None) -> bool:
    """Mark the claimed job alive; False when the claim no longer holds (the job was
    queued again or asked for afresh), so that only the current run keeps it alive."""
    moved = session.execute(
        update(PacketJob)
        .where(
            col(PacketJob.id) == claim.job_id,
            col(PacketJob.token) == claim.token,
            col(PacketJob.status) == PacketJobStatus.running,
        )
        .values(heartbeat_at=now or utcnow())
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def _close_claim(session: Session, claim: Claim, **values: object) -> bool:
    moved = session.execute(
        update(PacketJob)
        .where(
            col(PacketJob.id) == claim.job_id,
            col(PacketJob.token) == claim.token,
            col(PacketJob.status) == PacketJobStatus.running,
        )
        .values(finished_at=utcnow(), **values)
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def finish_job(
    *, session: Session, claim: Claim, pdf: bytes, basis: str, keys: SigningKeys,
    digest: str = "",
) -> bool:  # fmt: skip
    """Keep the rendered bytes, the signed packet with its digital signature; False
    (nothing kept) when the claim no longer holds. A signature that cannot be made
    raises ``ServiceError`` before anything is kept."""
    request = session.get(MlaRequest, claim.request_id)
    if request is None:
        raise ServiceError(N_("No such request."))
    if claim.kind == SIGNED and stored_packet(session=session, request=request) is None:
        unit = unit_of(session=session, request=request)
        pdf = sign_packet(session=session, request=request, pdf=pdf, keys=keys,
                          location=unit.name)  # fmt: skip
    if not _close_claim(
        session, claim, status=PacketJobStatus.done, basis=basis, values_digest=digest
    ):
        return False
    if claim.kind == SIGNED:
        with contextlib.suppress(Conflict):  # kept already (the command line): unchanged
            store_signed_packet(session=session, request=request, pdf=pdf, keys=keys,
                                signed=True)  # fmt: skip
        _drop_ready(session, request)
    else:
        stored = store_file(session=session, pdf=pdf)
        session.execute(
            update(PacketJob).where(col(PacketJob.id) == claim.job_id).values(file_id=stored.id)
        )
    if claim.kind in KINDS:  # a copy someone asked for, not one made ready for signing
        webhook_events.packet_ready(session=session, request=request, kind=str(claim.kind))
    return True


def _drop_ready(session: Session, request: MlaRequest) -> None:
    """Once the packet is signed, the render made ready for signing has served."""
    ready = packet_job(session=session, request=request, kind=READY)
    if ready is None:
        return
    file_id = ready.file_id
    session.delete(ready)
    session.flush()
    if file_id is not None:
        session.execute(delete(StoredFile).where(col(StoredFile.id) == file_id))


def fail_job(*, session: Session, claim: Claim, message: str) -> bool:
    """Record why the render failed (a message id, translated where it is shown)."""
    return _close_claim(session, claim, status=PacketJobStatus.failed, error=message[:500])


@dataclass(frozen=True)
class PacketState:
    """What the request page says of one copy of the packet."""

    kind: PacketKind
    status: str
    """ready, pending, failed, or none (not asked for, or the request changed since)"""
    error: str = ""
    stuck: bool = False
    sha256: str | None = None


def packet_state(
    *, session: Session, request: MlaRequest, kind: PacketKind, now: dt.datetime | None = None,
    stuck_after: dt.timedelta = LOST_AFTER,
) -> PacketState:  # fmt: skip
    now = now or utcnow()
    if kind == SIGNED:
        found = stored_packet(session=session, request=request)
        if found is not None:
            return PacketState(kind, "ready", sha256=found[1].sha256)
    job = packet_job(session=session, request=request, kind=kind)
    if job is None or job.basis != render_basis(
        session=session, request=request, kind=kind, now=now
    ):
        return PacketState(kind, "none")
    if job.status == PacketJobStatus.done:
        return PacketState(kind, "ready" if job.file_id else "none")
    if job.status == PacketJobStatus.failed:
        return PacketState(kind, "failed", error=job.error or RENDER_FAILED)
    return PacketState(kind, "pending", stuck=is_stuck(job, now=now, after=stuck_after))


def ready_bytes(*, session: Session, request: MlaRequest, kind: PacketKind) -> bytes | None:
    """The bytes of the copy when rendered and still current; None otherwise."""
    if kind == SIGNED:  # one query: a download of the stored packet is the common case
        content = session.exec(
            select(FileContent)
            .join(Packet, col(Packet.file_id) == FileContent.file_id)
            .where(Packet.request_id == request.id)
        ).first()
        return content_bytes(session=session, content=content) if content is not None else None
    if packet_state(session=session, request=request, kind=kind).status != "ready":
        return None
    job = packet_job(session=session, request=request, kind=kind)
    assert job is not None and job.file_id is not None
    return file_bytes(session=session, file_id=job.file_id)
