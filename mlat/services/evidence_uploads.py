"""Evidence files uploaded in chunks, so that a connection that breaks resumes where it
broke instead of starting again (``mlat.views.evidence_uploads``; docs/evidence.md,
"Resumable uploads").

An officer starts an upload for a request receiving evidence, with the file's name and
size; the browser sends it in chunks of ``CHUNK_SIZE`` bytes, in order, each with its
SHA-256. A chunk that arrives damaged is refused and sent again; a chunk already
received is acknowledged without being written again; the upload says how much it
holds, so that a client goes on from there.

Each chunk is encrypted as it is appended to a staging file in the store's scratch
folder, with the upload's own data key, wrapped by the installation's keys
(``mlat.services.evidence_staging``). A lock on that file keeps a second request for
the same upload from writing at the same time.

The receipt form then names the uploads instead of carrying the files: ``staged`` checks
that each is the user's, for this request and whole, and ``incoming`` reads each back,
record by record and verified, into the store as any file is kept. ``discard`` removes
their rows in the receipt's transaction, and the caller their staging files once it is
committed. ``sweep_uploads`` removes the uploads nobody touched for a while.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session, col, select

from mlat.crypto import Sealed, keyring_for
from mlat.evidence_store import EvidenceStore
from mlat.messages import N_
from mlat.models import EvidenceUpload, MlaRequest, User, utcnow
from mlat.services import Conflict, NotFound, ServiceError
from mlat.services import evidence_staging as staging
from mlat.services.annexes import size_text
from mlat.services.evidence import Incoming, check_receiver

CHUNK_SIZE = 8 * staging.RECORD_BYTES
"""bytes per chunk a client sends (the last one shorter): a whole number of records"""
MAX_FILENAME = 255


class UploadTooLarge(ServiceError):
    """A file declared larger than evidence may be."""


@dataclass(frozen=True)
class Staged:
    """An upload whose staging file is open, and locked against a second writer."""

    upload: EvidenceUpload
    handle: BinaryIO


def is_complete(upload: EvidenceUpload) -> bool:
    return upload.received == upload.size


def next_chunk(upload: EvidenceUpload) -> int:
    """The number of the chunk to send next; the number of chunks once it is whole."""
    if is_complete(upload):
        return max(1, -(-upload.size // upload.chunk_size))
    return upload.received // upload.chunk_size


def staging_path(store: EvidenceStore, upload: EvidenceUpload) -> Path:
    return store.scratch / upload.staging


def _context(upload: EvidenceUpload) -> str:
    return f"evidence upload {upload.staging}"


def start_upload(
    *, session: Session, store: EvidenceStore, request: MlaRequest, user: User, filename: str,
    size: int, max_bytes: int,
) -> EvidenceUpload:  # fmt: skip
    """An upload of ``size`` bytes for the request, with an empty staging file and a data
    key of its own; a file of no bytes is whole at once."""
    check_receiver(request, user)
    unusable = any(unicodedata.category(c) in ("Cc", "Cs") for c in filename)  # NUL, \n
    if not filename.strip() or len(filename) > MAX_FILENAME or unusable:
        raise ServiceError(
            N_("Name the file in at most %(num)d characters, without control characters."),
            num=MAX_FILENAME,
        )
    if size < 0:
        raise ServiceError(N_("A file's size is a number of bytes, 0 or more."))
    if size > max_bytes:
        raise UploadTooLarge(
            N_("The file is larger than %(limit)s. Split it or reduce its size."),
            limit=size_text(max_bytes),
        )
    assert request.id is not None and user.id is not None
    upload = EvidenceUpload(request_id=request.id, user_id=user.id, filename=filename,
                            size=size, chunk_size=CHUNK_SIZE, key_id="", data_key=b"",
                            staging=f"upload-{secrets.token_hex(16)}")  # fmt: skip
    upload.key_id, upload.data_key = keyring_for(session).wrap(
        AESGCM.generate_key(bit_length=256), context=_context(upload)
    )
    store.scratch.mkdir(parents=True, exist_ok=True)
    os.close(os.open(staging_path(store, upload), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    session.add(upload)
    session.flush()
    return upload


def own_upload(*, session: Session, user: User, upload_id: int) -> EvidenceUpload:
    """The user's own upload: another user's, even of the unit, is not found."""
    upload = session.get(EvidenceUpload, upload_id)
    if upload is None or upload.user_id != user.id:
        raise NotFound(N_("No such upload: it was removed, or is someone else's."))
    return upload


def _staging_key(session: Session, upload: EvidenceUpload) -> staging.StagingKey:
    sealed = Sealed(upload.key_id, upload.data_key, b"", b"")
    data_key = keyring_for(session).unwrap(sealed, context=_context(upload))
    return staging.StagingKey(data_key, _context(upload), upload.size)


def _missing(upload: EvidenceUpload) -> ServiceError:
    return ServiceError(
        N_("What arrived of %(name)s is missing or cut short on the server. Remove the upload "
           "and send the file again."), name=upload.filename,
    )  # fmt: skip


@contextmanager
def appending(
    *, session: Session, store: EvidenceStore, user: User, upload_id: int
) -> Iterator[Staged]:
    """The user's upload with its staging file open and locked, as the last writer left
    them; the lock holds until the block ends, so the caller commits inside it."""
    upload = own_upload(session=session, user=user, upload_id=upload_id)
    try:
        handle = staging_path(store, upload).open("r+b")
    except FileNotFoundError:
        raise _missing(upload) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(
                N_("A chunk of %(name)s is being received already. Ask how much has arrived, "
                   "then go on from there."), name=upload.filename,
            ) from None  # fmt: skip
        session.refresh(upload)
        yield Staged(upload, handle)


def append_chunk(
    *, session: Session, staged: Staged, n: int, sha256: bytes, body: IO[bytes]
) -> EvidenceUpload:
    """Encrypt chunk ``n``, read from ``body`` in pieces, onto the staging file, once its
    SHA-256 is the one given and its length the one expected; a chunk already received
    changes nothing (it was sent again), a later one is refused (``Conflict``)."""
    upload, out = staged.upload, staged.handle
    expected_n = next_chunk(upload)
    if n < expected_n:
        return upload
    if n > expected_n:
        raise Conflict(N_("Chunk %(num)d came before chunk %(next)d; send chunk %(next)d."),
                       num=n, next=expected_n)  # fmt: skip
    expected = min(upload.chunk_size, upload.size - upload.received)
    offset = staging.offset(upload.received)
    if out.seek(0, os.SEEK_END) < offset:
        raise _missing(upload)
    out.truncate(offset)  # what a chunk refused or broken off midway left
    out.seek(offset)
    try:
        key = _staging_key(session, upload)
        got, digest = staging.append(key, out, upload.received, body, expected)
        if got != expected:
            raise ServiceError(
                N_("Chunk %(num)d should be %(size)d bytes long, and was not; send it again."),
                num=n, size=expected,
            )  # fmt: skip
        if digest != sha256:
            raise ServiceError(N_("Chunk %(num)d arrived damaged; send it again."), num=n)
        out.flush()
        os.fsync(out.fileno())
    except BaseException:
        out.truncate(offset)
        raise
    upload.received += got
    upload.updated_at = utcnow()
    session.add(upload)
    session.flush()
    return upload


def plain_chunks(
    *, session: Session, store: EvidenceStore, upload: EvidenceUpload
) -> Iterator[bytes]:
    """The upload's bytes, record by record, each verified before it is given; a staging
    file changed, cut short or lengthened on disk raises ``ServiceError`` naming it."""
    key = _staging_key(session, upload)
    try:
        source = staging_path(store, upload).open("rb")
    except FileNotFoundError:
        raise _missing(upload) from None
    with source:
        try:
            yield from staging.read(key, source)
        except staging.StagingChanged:
            raise _changed(upload) from None


def _changed(upload: EvidenceUpload) -> ServiceError:
    return ServiceError(
        N_("The copy of %(name)s staged on the server was changed since it arrived, and is "
           "not recorded. Remove the upload and send the file again."), name=upload.filename,
    )  # fmt: skip


def staged(
    *, session: Session, request: MlaRequest, user: User, upload_ids: Iterable[int]
) -> list[EvidenceUpload]:
    """The uploads a receipt names, in order: each the user's, for this request and
    whole, or ``ServiceError`` naming the first that is not."""
    found = []
    for upload_id in dict.fromkeys(upload_ids):
        upload = own_upload(session=session, user=user, upload_id=upload_id)
        if upload.request_id != request.id:
            raise ServiceError(
                N_("%(name)s was uploaded for another request: choose it again here."),
                name=upload.filename,
            )
        if not is_complete(upload):
            raise ServiceError(
                N_("%(name)s has not arrived whole (%(received)s of %(size)s): send the rest "
                   "before recording the receipt."), name=upload.filename,
                received=size_text(upload.received), size=size_text(upload.size),
            )  # fmt: skip
        found.append(upload)
    return found


def pending(
    *, session: Session, request: MlaRequest, user: User, upload_ids: Iterable[int]
) -> list[EvidenceUpload]:
    """Those of the uploads named that are the user's for this request, whole or not (a
    receipt form shown again keeps them)."""
    ids = list(dict.fromkeys(upload_ids))
    if not ids:
        return []
    rows = session.exec(
        select(EvidenceUpload).where(
            col(EvidenceUpload.id).in_(ids),
            EvidenceUpload.user_id == user.id,
            EvidenceUpload.request_id == request.id,
        )
    ).all()
    return sorted(rows, key=lambda upload: ids.index(upload.id or 0))


def incoming(
    *, session: Session, store: EvidenceStore, uploads: Sequence[EvidenceUpload],
    digests: Mapping[str, str],
) -> list[Incoming]:  # fmt: skip
    """The uploads as files of a receipt, with the digests the sender gave by name."""
    return [
        Incoming(
            u.filename,
            plain_chunks(session=session, store=store, upload=u),
            digests.get(u.filename, ""),
        )
        for u in uploads
    ]


def discard(
    *, session: Session, store: EvidenceStore, uploads: Iterable[EvidenceUpload]
) -> list[Path]:
    """Remove the uploads' rows; their staging files, which the caller removes once this
    is committed (``remove_staging``)."""
    paths = []
    for upload in uploads:
        paths.append(staging_path(store, upload))
        session.delete(upload)
    session.flush()
    return paths


def remove_staging(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def cancel_upload(*, session: Session, store: EvidenceStore, user: User, upload_id: int) -> Path:
    """Remove the user's upload; its staging file, for the caller to remove once this is
    committed."""
    upload = own_upload(session=session, user=user, upload_id=upload_id)
    return discard(session=session, store=store, uploads=[upload])[0]


@dataclass(frozen=True)
class Swept:
    uploads: int
    """uploads removed with their staging files"""
    orphans: int
    """staging files that no upload named, removed"""


def sweep_uploads(
    *, session: Session, store: EvidenceStore, older_than: dt.timedelta,
    now: dt.datetime | None = None,
) -> Swept:  # fmt: skip
    """Remove the uploads nobody touched for ``older_than``, their staging files, and the
    staging files as old that no upload names (left when a process stopped between a
    receipt's commit and their removal). The caller commits."""
    cutoff = (now or utcnow()) - older_than
    old = session.exec(select(EvidenceUpload).where(EvidenceUpload.updated_at < cutoff)).all()
    remove_staging(discard(session=session, store=store, uploads=old))
    named = set(session.exec(select(EvidenceUpload.staging)).all())
    orphans = 0
    if store.scratch.is_dir():
        for path in store.scratch.glob("upload-*"):
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            if path.name not in named and modified < cutoff:
                path.unlink(missing_ok=True)
                orphans += 1
    return Swept(len(old), orphans)
