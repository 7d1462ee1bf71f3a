"""Evidence bundles for a court, a lab or a partner: the chosen evidence files of a
request, its signed packet, the receipt records and the custody log, with a manifest
of every file's SHA-256 signed with the unit's seal (``mlat.packets.bundle``).

Exporting is a custody event of each file exported, recorded before the bundle is
written, so that the custody log inside the bundle shows the export itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session

from mlat.audit_actions import AuditAction
from mlat.crypto import DataKeyError, keyring_for
from mlat.evidence_store import EvidenceStore, StoreError
from mlat.messages import N_
from mlat.models import EvidenceReceipt, MlaRequest, User
from mlat.packets.bundle import CUSTODY, RECEIPTS, BundleError, Member, Written, write_bundle
from mlat.services import Forbidden, NotFound, ServiceError, audit
from mlat.services.evidence import (
    DOWNLOADERS,
    CustodyAction,
    ItemRow,
    actor_names,
    add_custody,
    custody_log,
    download_name,
    kept_of,
    request_evidence,
)
from mlat.services.evidence import (
    receipts as evidence_receipts,
)
from mlat.services.packets import stored_bytes, stored_packet
from mlat.services.signing import SigningKeys, seal_credential, unit_seal

MAX_RECIPIENT = 300


@dataclass(frozen=True)
class Bundle:
    """A bundle written to a temporary file, to be sent and then removed."""

    path: Path
    filename: str
    written: Written


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _custody_record(
    session: Session, rows: Sequence[ItemRow], names: dict[int, str], people: dict[int, str]
) -> bytes:
    items = []
    for row in rows:
        assert row.item.id is not None
        items.append({
            "file": names[row.item.id], "item": row.item.id, "filename": row.item.filename,
            "sha256": row.blob.sha256, "size": row.blob.size, "receipt": row.receipt.id,
            "events": [
                {"at": _stamp(e.at), "action": e.action, "by": people.get(e.actor_id, ""),
                 "reason": e.reason, "recipient": e.recipient, "sha256": e.sha256}
                for e in custody_log(session=session, item=row.item)
            ],
        })  # fmt: skip
    return json.dumps({"items": items}, ensure_ascii=False, indent=2).encode()


def _receipts_record(
    request: MlaRequest, receipts: Sequence[EvidenceReceipt], people: dict[int, str]
) -> bytes:
    measures = request.content.get("measures") if isinstance(request.content, dict) else None
    kinds = [m.get("kind", "") if isinstance(m, dict) else "" for m in measures or []]
    found = [
        {"receipt": r.id, "received_on": r.received_on.isoformat(), "sender": r.sender,
         "sender_kind": r.sender_kind, "channel": r.channel,
         "sender_reference": r.sender_reference, "certificate": r.certificate,
         "recorded_by": people.get(r.recorded_by, ""),
         "answers": [{"measure": a.get("measure"), "in_full": a.get("in_full"),
                      "kind": kinds[int(a["measure"])] if int(a.get("measure", -1)) in
                      range(len(kinds)) else ""} for a in r.answers]}
        for r in receipts
    ]  # fmt: skip
    record = {"request": request.reference, "title": request.title,
              "requested_state": request.requested_state, "receipts": found}  # fmt: skip
    return json.dumps(record, ensure_ascii=False, indent=2).encode()


def _chosen(rows: list[ItemRow], item_ids: Sequence[int]) -> list[ItemRow]:
    wanted = set(item_ids)
    chosen = [r for r in rows if r.item.id in wanted]
    if not chosen or len(chosen) != len(wanted):
        raise ServiceError(N_("Choose the files to export among the request's evidence."))
    if any(r.item.destroyed_at is not None for r in chosen):
        raise ServiceError(N_("A destroyed file cannot be exported."))
    return chosen


def _plain(reference: str) -> str:
    """A request's reference as a file name takes it."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", reference).strip("-") or "request"


def _filename(reference: str, now: dt.datetime) -> str:
    return f"{_plain(reference)}-evidence-{now:%Y%m%d-%H%M%S}.asice"


def export_bundle(
    *,
    session: Session,
    store: EvidenceStore,
    keys: SigningKeys,
    user: User,
    request: MlaRequest,
    item_ids: Sequence[int],
    recipient: str,
    reason: str,
    now: dt.datetime,
    client_addr: str = "",
) -> Bundle:
    """Record the export in each file's chain of custody, and write the bundle."""
    if request.unit_id != user.unit_id:
        raise NotFound(N_("No such request."))
    if not user.has_role(*DOWNLOADERS):
        raise Forbidden(N_("Only the unit's officers, reviewers and prosecutors export evidence."))
    recipient, reason = " ".join(recipient.split()), reason.strip()
    if not recipient or len(recipient) > MAX_RECIPIENT:
        raise ServiceError(
            N_("Name the court, lab or partner it is for, in at most %(num)d characters."),
            num=MAX_RECIPIENT,
        )
    if not reason:
        raise ServiceError(N_("Say why it is exported: the reason goes into the chain of custody."))
    chosen = _chosen(request_evidence(session=session, request=request), item_ids)
    _seal, credential = seal_credential(session=session, unit_id=user.unit_id, keys=keys, now=now)
    for row in chosen:
        add_custody(session, row.item, row.blob, user, CustodyAction.exported,
                    recipient=recipient, reason=reason[:2000], client_addr=client_addr)  # fmt: skip
    actors = [e.actor_id for r in chosen for e in custody_log(session=session, item=r.item)]
    actors += [r.receipt.recorded_by for r in chosen]
    people = actor_names(session=session, ids=actors, reader_unit_id=user.unit_id)
    names = {
        r.item.id or 0: f"evidence/{r.item.id}-{download_name(r.item.filename, r.blob.sha256)}"
        for r in chosen
    }
    receipt_ids = {r.receipt.id for r in chosen}
    receipts = [r for r in evidence_receipts(session=session, request=request)
                if r.id in receipt_ids]  # fmt: skip
    members = [*_evidence_members(session, store, chosen, names), *_packet(session, request)]
    members += [
        Member(RECEIPTS, [_receipts_record(request, receipts, people)], "application/json", True),
        Member(CUSTODY, [_custody_record(session, chosen, names, people)], "application/json",
               True),
    ]  # fmt: skip
    store.scratch.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="bundle-", suffix=".asice", dir=store.scratch)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            written = write_bundle(out, members, credential, when=now,
                                  timestamp_url=keys.timestamp_url)  # fmt: skip
    except (DataKeyError, StoreError) as exc:
        path.unlink(missing_ok=True)
        raise ServiceError(
            N_("An evidence file could not be read back from the store: %(reason)s"),
            reason=str(exc),
        ) from exc
    except (BundleError, OSError) as exc:
        path.unlink(missing_ok=True)
        raise ServiceError(
            N_("The bundle could not be written: %(reason)s"), reason=str(exc)
        ) from exc
    audit.record(session=session, action=AuditAction.evidence_export, user=user,
                 object_type="request", object_id=request.id, client_addr=client_addr,
                 details={"items": [r.item.id for r in chosen], "recipient": recipient,
                          "files": len(written.files),
                          "manifest_sha256": written.manifest_sha256})  # fmt: skip
    return Bundle(path, _filename(request.reference, now), written)


def _evidence_members(
    session: Session, store: EvidenceStore, rows: Sequence[ItemRow], names: dict[int, str]
) -> Iterator[Member]:
    keyring = keyring_for(session)
    for row in rows:
        yield Member(names[row.item.id or 0], store.read(keyring, kept_of(row.blob)))


def _packet(session: Session, request: MlaRequest) -> list[Member]:
    """The signed request's packet, as stored, when there is one."""
    found = stored_packet(session=session, request=request)
    if found is None:
        return []
    data = stored_bytes(session=session, packet=found[0])
    return [Member(f"packet/{_plain(request.reference)}.pdf", [data], "application/pdf")]


def seal_chain_pem(*, session: Session, unit_id: int) -> bytes:
    """The unit's seal certificate and its issuers, PEM: what a recipient trusts to
    check the unit's bundles, after confirming it with the unit by another channel."""
    seal = unit_seal(session=session, unit_id=unit_id)
    if seal is None:
        raise NotFound(N_("The unit has no seal yet."))
    cert = x509.load_der_x509_certificate(seal.certificate)
    return cert.public_bytes(serialization.Encoding.PEM) + seal.chain
