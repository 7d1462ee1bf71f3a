"""Moving sealed data to the current data key, and counting what each key seals.

``flask --app app keys rotate`` moves, in batches, every stored file, evidence file, TOTP
secret and webhook secret that another key (or none) seals to the current key;
``init-db`` seals those stored before encryption at rest (``only_plain``). A file moves
by re-wrapping its own key only: its ciphertext stays as it is. Running either again
changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from mlat.crypto import DataKeyError, Keyring, Sealed, keyring_for, text_key_id
from mlat.evidence_store import blob_context
from mlat.models import EvidenceBlob, FileContent, User, WebhookEndpoint
from mlat.services.files import file_context
from mlat.services.twofactor import pending_context, secret_context
from mlat.services.webhook_signing import previous_context
from mlat.services.webhook_signing import secret_context as webhook_context

PLAIN = "plain:"
"""how migration 0017 marks a TOTP secret it could not seal"""


@dataclass(frozen=True)
class Batch:
    """What one batch did: values now sealed with the current key, the reasons of those
    that could not be opened, and the last row looked at (None: no rows were left)."""

    moved: int
    refused: list[str] = field(default_factory=list)
    last_id: int | None = None


def rotate_files(
    *, session: Session, after: int = 0, limit: int = 100, only_plain: bool = False
) -> Batch:
    """Seal with the current key the next ``limit`` stored files after id ``after``
    that another key seals (``only_plain``: that are not sealed yet); flushed."""
    keyring = keyring_for(session)
    chosen = FileContent.key_id == "" if only_plain else FileContent.key_id != keyring.current
    rows = session.exec(
        select(FileContent.file_id, FileContent.key_id, FileContent.data_key, FileContent.nonce)
        .where(col(FileContent.file_id) > after, chosen)
        .order_by(col(FileContent.file_id))
        .limit(limit)
    ).all()
    moved, refused = 0, []
    for file_id, key_id, data_key, nonce in rows:
        context = file_context(file_id)
        try:
            if key_id:  # the key of the file changes wrapping; the ciphertext stays
                sealed = keyring.rewrap(Sealed(key_id, data_key, nonce, b""), context=context)
                values = {"key_id": sealed.key_id, "data_key": sealed.data_key}
            else:
                plain = session.exec(
                    select(FileContent.data).where(FileContent.file_id == file_id)
                ).one()
                sealed = keyring.seal(plain, context=context)
                values = {"key_id": sealed.key_id, "data_key": sealed.data_key,
                          "nonce": sealed.nonce, "data": sealed.ciphertext}  # fmt: skip
        except DataKeyError as exc:
            refused.append(str(exc))
            continue
        session.execute(
            update(FileContent).where(col(FileContent.file_id) == file_id).values(**values)
        )
        moved += 1
    session.flush()
    return Batch(moved, refused, rows[-1][0] if rows else None)


def rotate_evidence(
    *, session: Session, after: int = 0, limit: int = 100, only_plain: bool = False
) -> Batch:
    """Re-wrap with the current key the data keys of the next ``limit`` evidence files
    after id ``after`` that another key wraps; the files in the store stay as they are.
    (Evidence is never kept unencrypted: ``only_plain`` finds nothing.)"""
    keyring = keyring_for(session)
    if only_plain:
        return Batch(0)
    rows = session.exec(
        select(EvidenceBlob)
        .where(col(EvidenceBlob.id) > after, EvidenceBlob.key_id != keyring.current)
        .order_by(col(EvidenceBlob.id))
        .limit(limit)
    ).all()
    moved, refused = 0, []
    for blob in rows:
        try:
            sealed = keyring.rewrap(Sealed(blob.key_id, blob.data_key, b"", b""),
                                    context=blob_context(blob.sha256))  # fmt: skip
        except DataKeyError as exc:
            refused.append(str(exc))
            continue
        blob.key_id, blob.data_key = sealed.key_id, sealed.data_key
        session.add(blob)
        moved += 1
    session.flush()
    return Batch(moved, refused, rows[-1].id if rows else None)


def _resealed(keyring: Keyring, value: str | None, context: str, only_plain: bool) -> str | None:
    """The value sealed with the current key; None when it needs no change."""
    if value is None or text_key_id(value) == keyring.current:
        return None
    if value.startswith(PLAIN):
        return keyring.seal_text(value.removeprefix(PLAIN), context=context)
    if only_plain:
        return None
    return keyring.seal_text(keyring.open_text(value, context=context), context=context)


def rotate_secrets(
    *, session: Session, after: int = 0, limit: int = 500, only_plain: bool = False
) -> Batch:
    """Seal with the current key the TOTP secrets (in use and being set up) of the next
    ``limit`` users after id ``after`` that have one; flushed."""
    keyring = keyring_for(session)
    users = session.exec(
        select(User)
        .where(
            col(User.id) > after,
            or_(col(User.totp_sealed).is_not(None), col(User.totp_pending).is_not(None)),
        )
        .order_by(col(User.id))
        .limit(limit)
    ).all()
    moved, refused = 0, []
    for user in users:
        try:
            sealed = _resealed(keyring, user.totp_sealed, secret_context(user), only_plain)
            pending = _resealed(keyring, user.totp_pending, pending_context(user), only_plain)
        except DataKeyError as exc:
            refused.append(str(exc))
            continue
        if sealed is not None:
            user.totp_sealed = sealed
        if pending is not None:
            user.totp_pending = pending
        moved += (sealed is not None) + (pending is not None)
        session.add(user)
    session.flush()
    return Batch(moved, refused, users[-1].id if users else None)


def rotate_webhook_secrets(
    *, session: Session, after: int = 0, limit: int = 500, only_plain: bool = False
) -> Batch:
    """Seal with the current key the secrets (current and previous) of the next ``limit``
    webhook endpoints after id ``after``; flushed."""
    keyring = keyring_for(session)
    endpoints = session.exec(
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.id) > after)
        .order_by(col(WebhookEndpoint.id))
        .limit(limit)
    ).all()
    moved, refused = 0, []
    for endpoint in endpoints:
        assert endpoint.id is not None
        try:
            sealed = _resealed(keyring, endpoint.secret_sealed, webhook_context(endpoint.id),
                               only_plain)  # fmt: skip
            previous = _resealed(keyring, endpoint.previous_secret_sealed,
                                 previous_context(endpoint.id), only_plain)  # fmt: skip
        except DataKeyError as exc:
            refused.append(str(exc))
            continue
        if sealed is not None:
            endpoint.secret_sealed = sealed
        if previous is not None:
            endpoint.previous_secret_sealed = previous
        moved += (sealed is not None) + (previous is not None)
        session.add(endpoint)
    session.flush()
    return Batch(moved, refused, endpoints[-1].id if endpoints else None)


@dataclass(frozen=True)
class KeyUse:
    """How many values each key id seals; "" counts those not sealed yet."""

    files: Counter[str]
    secrets: Counter[str]
    webhook_secrets: Counter[str] = field(default_factory=Counter)
    evidence: Counter[str] = field(default_factory=Counter)


def key_use(*, session: Session) -> KeyUse:
    files = Counter(
        {
            key_id: count
            for key_id, count in session.exec(
                select(FileContent.key_id, func.count()).group_by(col(FileContent.key_id))
            )
        }
    )
    secrets: Counter[str] = Counter()
    for sealed, pending in session.exec(select(User.totp_sealed, User.totp_pending)):
        secrets.update(text_key_id(v) for v in (sealed, pending) if v is not None)
    webhook: Counter[str] = Counter()
    rows = session.exec(
        select(WebhookEndpoint.secret_sealed, WebhookEndpoint.previous_secret_sealed)
    )
    for sealed, previous in rows:
        webhook.update(text_key_id(v) for v in (sealed, previous) if v is not None)
    evidence = Counter(
        {
            key_id: count
            for key_id, count in session.exec(
                select(EvidenceBlob.key_id, func.count()).group_by(col(EvidenceBlob.key_id))
            )
        }
    )
    return KeyUse(files, secrets, webhook, evidence)
