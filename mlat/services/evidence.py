"""Evidence received for a request: the receipt, its files, and each file's chain of
custody.

A receipt says when the evidence came, from whom (the requested state's authority or a
provider), by which channel, under which of the sender's references, which of the
request's measures it answers (in full or in part), and what certificate of authenticity
came with it. Its files are kept encrypted under their SHA-256 (``mlat.evidence_store``),
hashed while they stream in; a digest the sender gave is compared, and a mismatch is
kept and shown, never hidden: what arrived is the evidence. The app never opens or
renders a file; it lists it and hands it out.

Every action on an item is a custody event, with who, when, why and the item's digest
at that moment, and an entry of the hash-chained audit trail.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.crypto import keyring_for
from mlat.evidence_store import EvidenceStore, Kept, StoreError
from mlat.messages import N_
from mlat.models import (
    CaseFile,
    CasePartner,
    CustodyEvent,
    EvidenceBlob,
    EvidenceGrant,
    EvidenceItem,
    EvidenceReceipt,
    MlaRequest,
    RequestStatus,
    Role,
    Unit,
    User,
    utcnow,
)
from mlat.services import Forbidden, NotFound, ServiceError, audit
from mlat.services.annexes import clean_filename, size_text
from mlat.services.workflow import Inputs, transition
from mlat.workflow import UNIT_STAFF

logger = logging.getLogger(__name__)
CHANNELS = ("portal", "courier", "email", "network_24_7", "diplomatic", "other")
SENDER_KINDS = ("authority", "provider")
RECEIVING = frozenset(
    {
        RequestStatus.transmitted,
        RequestStatus.acknowledged,
        RequestStatus.partially_executed,
        RequestStatus.executed,
    }
)
"""a request's states in which evidence can arrive"""
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_SENDER = 300
MAX_REFERENCE = 200
MAX_CERTIFICATE = 5000
DEFAULT_MAX_BYTES = 4 * 1024**3
DOWNLOADERS = UNIT_STAFF
"""who may download and export evidence: a unit's case team, not its administrators alone"""


class CustodyAction:
    received = "received"
    viewed = "viewed"
    downloaded = "downloaded"
    exported = "exported"
    handed_over = "handed_over"
    access = "access"
    retention = "retention"
    destroyed = "destroyed"


@dataclass(frozen=True)
class Incoming:
    """A file as it arrives: its name, its bytes as a stream of pieces, and the digest
    the sender gave for it (empty: none)."""

    filename: str
    chunks: Iterable[bytes]
    sender_sha256: str = ""


@dataclass(frozen=True)
class Received:
    receipt: EvidenceReceipt
    items: list[EvidenceItem]
    mismatched: list[str]
    """the names of the files whose digest is not the one the sender gave"""


def check_receiver(request: MlaRequest, user: User) -> None:
    """Evidence is recorded by the request's unit's officers, once it is transmitted."""
    if request.unit_id != user.unit_id:
        raise NotFound(N_("No such request."))
    if not user.has_role(Role.officer):
        raise Forbidden(N_("Only officers record the evidence received."))
    if request.status not in RECEIVING:
        raise ServiceError(
            N_("Evidence is recorded once the request is transmitted; this one is “%(status)s”."),
            status=request.status,
        )


# sha256sum's lines ("<digest>  <name>", "<digest> *<name>"), and BSD's
# ("SHA256 (<name>) = <digest>")
GNU_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
BSD_LINE = re.compile(r"^SHA256 \((.+)\) = ([0-9a-fA-F]{64})$")


def sender_digests(text: str, *, sent: Collection[str]) -> dict[str, str]:
    """File name to the digest the sender gave, from sha256sum's or BSD's lines;
    ``ServiceError`` naming the first line that is neither, or a file not ``sent``."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        gnu, bsd = GNU_LINE.match(line), BSD_LINE.match(line)
        if gnu:
            found[gnu.group(2).strip()] = gnu.group(1).lower()
        elif bsd:
            found[bsd.group(1).strip()] = bsd.group(2).lower()
        else:
            raise ServiceError(
                N_("Line %(num)d of the digests is not a SHA-256 followed by a file name."),
                num=number,
            )
    unknown = sorted(set(found) - set(sent))
    if unknown:
        raise ServiceError(
            N_("The digests name a file that was not sent: %(name)s."), name=unknown[0]
        )
    return found


def _answers(request: MlaRequest, answers: Sequence[tuple[int, bool]]) -> list[dict[str, object]]:
    measures = request.content.get("measures") if isinstance(request.content, dict) else None
    count = len(measures) if isinstance(measures, list) else 0
    if any(not 0 <= index < count for index, _full in answers):
        raise ServiceError(N_("Choose the measures it answers among the request's."))
    return [{"measure": index, "in_full": full} for index, full in sorted(set(answers))]


def _sender_digest(value: str) -> str:
    digest = value.strip().lower().removeprefix("sha256:").strip()
    if digest and not SHA256.fullmatch(digest):
        raise ServiceError(
            N_("The sender's SHA-256 is 64 letters and digits (0-9, a-f); “%(value)s” is not."),
            value=value[:80],
        )
    return digest


def record_receipt(
    *,
    session: Session,
    store: EvidenceStore,
    request: MlaRequest,
    user: User,
    received_on: dt.date,
    sender: str,
    sender_kind: str,
    channel: str,
    today: dt.date,
    sender_reference: str = "",
    answers: Sequence[tuple[int, bool]] = (),
    certificate: str = "",
    files: Sequence[Incoming] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    client_addr: str = "",
) -> Received:
    """Record what arrived, keep its files, and start each file's chain of custody."""
    check_receiver(request, user)
    sender = " ".join(sender.split())
    if not sender or len(sender) > MAX_SENDER:
        raise ServiceError(N_("Name the sender in at most %(num)d characters."), num=MAX_SENDER)
    if sender_kind not in SENDER_KINDS or channel not in CHANNELS:
        raise ServiceError(N_("Choose the sender's kind and the channel from the lists."))
    if received_on > today:
        raise ServiceError(N_("The evidence cannot have been received after today."))
    if request.transmitted_on and received_on < request.transmitted_on:
        raise ServiceError(
            N_("The evidence cannot have been received before the request was transmitted, "
               "on %(date)s."), date=request.transmitted_on.isoformat(),
        )  # fmt: skip
    if len(sender_reference) > MAX_REFERENCE or len(certificate) > MAX_CERTIFICATE:
        raise ServiceError(N_("The sender's reference or the certificate is too long."))
    digests = [_sender_digest(f.sender_sha256) for f in files]
    assert user.id is not None and request.id is not None
    # The files first, however long they take, with no lock held; then the request is
    # read again and held until the commit, so that two receipts recorded at the same
    # moment both stand and the request's state follows both.
    blobs = [
        keep_blob(session=session, store=store, chunks=f.chunks, max_bytes=max_bytes) for f in files
    ]
    # A write that changes nothing takes the request's row (PostgreSQL) or the database
    # (SQLite) until the commit; read after it, the request is as the last commit left it.
    session.execute(
        update(MlaRequest)
        .where(col(MlaRequest.id) == request.id)
        .values(version=MlaRequest.version)
    )
    session.refresh(request)
    check_receiver(request, user)
    receipt = EvidenceReceipt(
        request_id=request.id, received_on=received_on, sender=sender, sender_kind=sender_kind,
        channel=channel, sender_reference=sender_reference.strip(),
        answers=_answers(request, answers), certificate=certificate.strip(),
        recorded_by=user.id,
    )  # fmt: skip
    session.add(receipt)
    session.flush()
    assert receipt.id is not None
    items, mismatched = [], []
    for incoming, given, blob in zip(files, digests, blobs, strict=True):
        item = EvidenceItem(receipt_id=receipt.id, request_id=request.id, blob_id=blob.id or 0,
                            filename=clean_filename(incoming.filename), sender_sha256=given,
                            created_by=user.id)  # fmt: skip
        session.add(item)
        session.flush()
        if given and given != blob.sha256:
            mismatched.append(item.filename)
        add_custody(session, item, blob, user, CustodyAction.received, client_addr=client_addr)
        items.append(item)
    audit.record(session=session, action=AuditAction.evidence_receive, user=user,
                 object_type="request", object_id=request.id, client_addr=client_addr,
                 details={"receipt": receipt.id, "files": len(items),
                          "sender": sender})  # fmt: skip
    said = ", ".join(part for part in (sender, receipt.sender_reference) if part)
    _follow(session, request, user, received_on, said, client_addr)
    return Received(receipt, items, mismatched)


def _follow(
    session: Session, request: MlaRequest, user: User, on: dt.date, said: str,
    client_addr: str,
) -> None:  # fmt: skip
    """The request's state follows what arrived: executed once every measure is answered
    in full, partially executed before; the step's comment names the sender and its
    reference. An officer corrects it with the workflow's own actions, which ask for the
    date and take a comment."""
    measures = request.content.get("measures") if isinstance(request.content, dict) else None
    count = len(measures) if isinstance(measures, list) else 0
    state = answered(request, receipts(session=session, request=request))
    if not state:
        return
    complete = count > 0 and all(state.get(i) == "full" for i in range(count))
    action = "execute" if complete else "execute_partly"
    if request.status == RequestStatus.executed or (
        action == "execute_partly" and request.status == RequestStatus.partially_executed
    ):
        return
    transition(session=session, request=request, actor=user, action=action,
               expected_version=request.version, client_addr=client_addr,
               inputs=Inputs(on=on, comment=said))  # fmt: skip


def keep_blob(
    *, session: Session, store: EvidenceStore, chunks: Iterable[bytes], max_bytes: int
) -> EvidenceBlob:
    """Keep the file in the store and name its content: the row of that content, made now
    or found (content already kept is not stored again; kept by two officers at the same
    moment, the copy whose row is written first is the one kept)."""

    def row_of(sha256: str) -> EvidenceBlob | None:
        return session.exec(select(EvidenceBlob).where(EvidenceBlob.sha256 == sha256)).first()

    def held(sha256: str) -> bool:  # kept, and its content not destroyed since
        row = row_of(sha256)
        return row is not None and bool(row.object_name)

    try:
        kept = store.keep(keyring_for(session), _limited(chunks, max_bytes), known=held)
    except TooLarge as exc:
        raise ServiceError(
            N_("The file is larger than %(limit)s. Split it or reduce its size."),
            limit=size_text(max_bytes),
        ) from exc
    except StoreError as exc:
        logger.error("Evidence store refused a file: %s", exc)
        raise ServiceError(
            N_(
                "The evidence store did not take the file. Try again; if it fails again, "
                "tell the unit's administrator."
            )
        ) from exc
    found = row_of(kept.sha256)
    if found is not None and not found.object_name and kept.name:
        # content destroyed earlier, received again: the row holds this copy now
        found.object_name, found.key_id = kept.name, kept.key_id
        found.data_key, found.nonce_prefix = kept.data_key, kept.nonce_prefix
        found.backend = store.backend.name
        session.add(found)
        return found
    if found is not None:
        if kept.name:  # stored meanwhile by someone else: theirs stands
            store.backend.delete(kept.name)
        return found
    # Written unless someone else wrote the same content at the same moment (then
    # theirs stands). Not a savepoint: SQLite's driver would commit it on its own.
    values = {"sha256": kept.sha256, "size": kept.size, "backend": store.backend.name,
              "object_name": kept.name, "key_id": kept.key_id, "data_key": kept.data_key,
              "nonce_prefix": kept.nonce_prefix, "created_at": utcnow()}  # fmt: skip
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(EvidenceBlob).values(values).on_conflict_do_nothing())
    blob = session.exec(select(EvidenceBlob).where(EvidenceBlob.sha256 == kept.sha256)).one()
    if blob.object_name != kept.name:
        store.backend.delete(kept.name)
    return blob


def kept_of(blob: EvidenceBlob) -> Kept:
    """What the store needs to read the blob back."""
    return Kept(blob.sha256, blob.size, blob.key_id, blob.data_key, blob.nonce_prefix,
                blob.object_name)  # fmt: skip


class TooLarge(StoreError):
    """A file past the evidence limit, found while it streams in."""


def _limited(chunks: Iterable[bytes], max_bytes: int) -> Iterator[bytes]:
    seen = 0
    for piece in chunks:
        seen += len(piece)
        if seen > max_bytes:
            raise TooLarge(f"larger than {max_bytes} bytes")
        yield piece


def add_custody(
    session: Session, item: EvidenceItem, blob: EvidenceBlob, user: User, action: str, *,
    reason: str = "", recipient: str = "", client_addr: str = "",
) -> CustodyEvent:  # fmt: skip
    assert item.id is not None and user.id is not None
    event = CustodyEvent(item_id=item.id, action=action, actor_id=user.id, reason=reason,
                         recipient=recipient, sha256=blob.sha256)  # fmt: skip
    session.add(event)
    audit.record(session=session, action=AuditAction.evidence_custody, user=user,
                 object_type="evidence", object_id=item.id, client_addr=client_addr,
                 details={"action": action, "sha256": blob.sha256, "reason": reason[:500],
                          "recipient": recipient})  # fmt: skip
    session.flush()
    return event


@dataclass(frozen=True)
class ItemRow:
    item: EvidenceItem
    blob: EvidenceBlob
    receipt: EvidenceReceipt

    @property
    def mismatch(self) -> bool:
        return bool(self.item.sender_sha256) and self.item.sender_sha256 != self.blob.sha256


def request_evidence(*, session: Session, request: MlaRequest) -> list[ItemRow]:
    """The request's evidence items with their content and receipt, oldest first."""
    rows = session.exec(
        select(EvidenceItem, EvidenceBlob, EvidenceReceipt)
        .join(EvidenceBlob, col(EvidenceBlob.id) == col(EvidenceItem.blob_id))
        .join(EvidenceReceipt, col(EvidenceReceipt.id) == col(EvidenceItem.receipt_id))
        .where(EvidenceItem.request_id == request.id)
        .order_by(col(EvidenceReceipt.received_on), col(EvidenceItem.id))
    )
    return [ItemRow(i, b, r) for i, b, r in rows]


def receipts(*, session: Session, request: MlaRequest) -> list[EvidenceReceipt]:
    return list(
        session.exec(
            select(EvidenceReceipt)
            .where(EvidenceReceipt.request_id == request.id)
            .order_by(col(EvidenceReceipt.received_on), col(EvidenceReceipt.id))
        )
    )


def answered(request: MlaRequest, found: Sequence[EvidenceReceipt]) -> dict[int, str]:
    """Per measure of the request (by position): "full" when a receipt answers it in
    full, "part" when only in part; a measure no receipt answers is absent."""
    state: dict[int, str] = {}
    for receipt in found:
        for answer in receipt.answers:
            index = int(answer.get("measure", -1))
            if answer.get("in_full"):
                state[index] = "full"
            else:
                state.setdefault(index, "part")
    return state


def visible_item(
    *, session: Session, user: User, item_id: int
) -> tuple[EvidenceItem, EvidenceBlob, MlaRequest]:
    """The item, for a user of the request's unit, or of a partner unit of the case the
    request is in (who reads its record; ``may_download`` says whether they may take
    it); NotFound for anyone else."""
    item = session.get(EvidenceItem, item_id)
    request = session.get(MlaRequest, item.request_id) if item else None
    if item is None or request is None or not _reaches(session, user, request):
        raise NotFound(N_("No such evidence."))
    return item, session.get_one(EvidenceBlob, item.blob_id), request


def _reaches(session: Session, user: User, request: MlaRequest) -> bool:
    if request.unit_id == user.unit_id:
        return True
    return request.case_id is not None and user.unit_id in case_unit_ids(
        session=session, case_id=request.case_id
    )


def case_unit_ids(*, session: Session, case_id: int) -> set[int]:
    """The units of a case: the one that leads it and those it is shared with."""
    lead = session.get(CaseFile, case_id)
    partners = session.exec(select(CasePartner.unit_id).where(CasePartner.case_id == case_id))
    return {*partners, *([lead.unit_id] if lead else [])}


def granted(*, session: Session, item: EvidenceItem, unit_id: int | None) -> bool:
    """Whether the lead unit allowed this partner unit to download the item."""
    return (
        session.exec(
            select(EvidenceGrant).where(
                EvidenceGrant.item_id == item.id, EvidenceGrant.unit_id == unit_id
            )
        ).first()
        is not None
    )


def may_download(*, session: Session, user: User, item: EvidenceItem, request: MlaRequest) -> bool:
    """The case team of the request's unit, or of a partner unit allowed to; never a
    destroyed file."""
    if item.destroyed_at is not None or not user.has_role(*DOWNLOADERS):
        return False
    return request.unit_id == user.unit_id or granted(
        session=session, item=item, unit_id=user.unit_id
    )


def _leading(user: User, request: MlaRequest) -> None:
    if request.unit_id != user.unit_id:
        raise Forbidden(N_("Only the unit that received the evidence can do this."))


def download(
    *,
    session: Session,
    store: EvidenceStore,
    user: User,
    item_id: int,
    reason: str,
    client_addr: str = "",
) -> tuple[str, Kept, Iterator[bytes]]:
    """The item's download name (its name, with its digest), and its bytes as a stream;
    the download and its reason are a custody event."""
    item, blob, request = visible_item(session=session, user=user, item_id=item_id)
    if item.destroyed_at is not None:
        raise ServiceError(
            N_("This file was destroyed on %(date)s: only its record remains."),
            date=item.destroyed_at.date().isoformat(),
        )
    if not may_download(session=session, user=user, item=item, request=request):
        raise Forbidden(N_("Your unit may read this record but not download the file."))
    reason = reason.strip()
    if not reason:
        raise ServiceError(
            N_("Say why you download it: the reason goes into its chain of custody.")
        )
    add_custody(session, item, blob, user, CustodyAction.downloaded, reason=reason[:2000],
                client_addr=client_addr)  # fmt: skip
    kept = kept_of(blob)
    return download_name(item.filename, blob.sha256), kept, store.read(keyring_for(session), kept)


def download_name(filename: str, sha256: str) -> str:
    """The name a download is saved under: the sender's name with the digest before its
    extension, so that the file on a disk says what it is."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem or len(extension) > 8:
        return f"{filename}.sha256-{sha256}"
    return f"{stem}.sha256-{sha256}.{extension}"


def hand_over(
    *, session: Session, user: User, item_id: int, recipient: str, reason: str,
    client_addr: str = "",
) -> CustodyEvent:  # fmt: skip
    """Record that the item (a copy of it) was handed to a person or a lab."""
    item, blob, request = visible_item(session=session, user=user, item_id=item_id)
    _leading(user, request)
    recipient = " ".join(recipient.split())
    if not recipient or len(recipient) > 300:
        raise ServiceError(N_("Name who received it, in at most 300 characters."))
    return add_custody(session, item, blob, user, CustodyAction.handed_over,
                       recipient=recipient, reason=reason.strip()[:2000],
                       client_addr=client_addr)  # fmt: skip


def viewed(
    *, session: Session, user: User, item: EvidenceItem, blob: EvidenceBlob,
    client_addr: str = "",
) -> CustodyEvent:  # fmt: skip
    """Record that the user looked at the item's record (its page)."""
    return add_custody(session, item, blob, user, CustodyAction.viewed, client_addr=client_addr)


def digest_b64(sha256: str) -> str:
    """A hex digest as HTTP's Repr-Digest writes it (RFC 9530): base64."""
    return base64.b64encode(bytes.fromhex(sha256)).decode()


def custody_log(*, session: Session, item: EvidenceItem) -> list[CustodyEvent]:
    return list(
        session.exec(
            select(CustodyEvent)
            .where(CustodyEvent.item_id == item.id)
            .order_by(col(CustodyEvent.at), col(CustodyEvent.id))
        )
    )


def actor_names(
    *, session: Session, ids: Iterable[int], reader_unit_id: int | None = None
) -> dict[int, str]:
    """The names of the users who acted on an item, whatever their unit; those of
    another unit than the reader's are named with their unit."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(User.id, User.name, User.unit_id, Unit.name)
        .join(Unit, col(Unit.id) == col(User.unit_id))
        .where(col(User.id).in_(wanted))
    )
    return {
        int(uid): name if unit_id == reader_unit_id else f"{name} ({unit})"
        for uid, name, unit_id, unit in rows
    }
