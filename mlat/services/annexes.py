"""Annexes of a request: uploaded documents kept in the database, described in the content.

The request content lists each annex (kind, title, language); the uploaded bytes are a
``StoredFile`` with its ``FileContent``, linked by a ``RequestAnnex`` row. Every upload
and removal also changes the content's list of annexes (through ``save_content``), so
the change is versioned, audited and sends an approved request back to review.

The type of a file is read from its bytes, never from its name: PDF, PNG, JPEG and
UTF-8 plain text are accepted; anything else, or a name that claims another of these
types, is refused.
"""

from __future__ import annotations

import copy
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.messages import N_
from mlat.models import FileContent, MlaRequest, Packet, RequestAnnex, StoredFile, User
from mlat.services import NotFound, ServiceError, audit
from mlat.services.files import file_bytes, keep_file
from mlat.services.requests import save_content

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ACCEPTED = {
    "application/pdf": N_("a PDF document"),
    "image/png": N_("a PNG image"),
    "image/jpeg": N_("a JPEG image"),
    "text/plain": N_("a plain-text file"),
}
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
}
# The extension a name without one is given, per type.
CANONICAL = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
             "text/plain": ".txt"}  # fmt: skip


def sniff(data: bytes) -> str | None:
    """The media type the bytes are, among those accepted; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if _is_text(data):
        return "text/plain"
    return None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text)


def size_text(size: int) -> str:
    """A size limit as people write it: 10 MB, 500 KB."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:g} MB"
    return f"{size / 1024:g} KB"


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse an empty upload, or one larger than the limit, saying which."""
    if not data:
        raise ServiceError(N_("The file is empty."))
    if len(data) > max_bytes:
        raise ServiceError(
            N_("The file is larger than %(limit)s. Split it or reduce its size."),
            limit=size_text(max_bytes),
        )


def clean_filename(name: str) -> str:
    """The last part of the name the browser sent, without control or format characters
    (a right-to-left override among them, which makes 'report\u202etxt.exe' read as
    'reportexe.txt')."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return base[-255:] or "annex"


# What counts as a file name's extension: a dot, a letter, up to five letters or digits
# (".hta", ".js", ".mp4"); "Statement 12.03.2026" has none.
EXTENSION = re.compile(r"\.[a-z][a-z0-9]{0,5}")


def extension(name: str) -> str:
    """The name's extension, in lower case; empty when it has none."""
    suffix = PurePosixPath(name.lower()).suffix
    return suffix if EXTENSION.fullmatch(suffix) else ""


def download_name(name: str, media_type: str) -> str:
    """The name a file is served under: the clean name, with the extension of the type
    its bytes are (an extension of another kind replaced), so that no download opens as
    a program or a page."""
    name = clean_filename(name)
    suffix = extension(name)
    if EXTENSIONS.get(suffix) == media_type:
        return name
    stem = name[: -len(suffix)] if suffix else name
    return f"{stem or 'annex'}{CANONICAL.get(media_type, '')}"


@dataclass(frozen=True)
class AnnexRow:
    """One annex as listed: its description in the content and the file, if uploaded."""

    position: int | None  # index in content["annexes"]; None for a file no entry describes
    kind: str
    title: str
    language: str | None
    annex: RequestAnnex | None
    file: StoredFile | None


def annex_rows(*, session: Session, request: MlaRequest) -> list[AnnexRow]:
    """The content's annexes, each with the newest uploaded file of the same description,
    then any file no entry describes."""
    entries = [a for a in request.content.get("annexes") or [] if isinstance(a, dict)]
    uploads = list(
        session.exec(
            select(RequestAnnex, StoredFile)
            .join(StoredFile, col(StoredFile.id) == RequestAnnex.file_id)
            .where(RequestAnnex.request_id == request.id)
            .order_by(col(RequestAnnex.id).desc())
        )
    )
    matched: dict[int, tuple[RequestAnnex, StoredFile]] = {}
    orphans: list[AnnexRow] = []
    for annex, stored in uploads:
        key = (annex.kind, annex.title, annex.language)
        free = [
            i
            for i, e in enumerate(entries)
            if i not in matched and (e.get("kind"), e.get("title"), e.get("language")) == key
        ]
        if free:
            matched[free[-1]] = (annex, stored)
        else:
            orphans.append(AnnexRow(None, annex.kind, annex.title, annex.language, annex, stored))
    rows = []
    for i, entry in enumerate(entries):
        annex_file = matched.get(i)
        rows.append(
            AnnexRow(
                i,
                str(entry.get("kind") or "other"),
                str(entry.get("title") or ""),
                entry.get("language"),
                annex_file[0] if annex_file else None,
                annex_file[1] if annex_file else None,
            )
        )
    return rows + orphans[::-1]


def add_annex(
    *,
    session: Session,
    request: MlaRequest,
    editor: User,
    expected_version: int,
    data: bytes,
    filename: str,
    kind: str,
    title: str,
    language: str | None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    client_addr: str = "",
) -> RequestAnnex:
    """Keep an uploaded document and list it among the request's annexes."""
    check_size(data, max_bytes)
    media_type = sniff(data)
    if media_type is None:
        raise ServiceError(
            N_("This file is not a PDF, PNG or JPEG image, or plain UTF-8 text. Save it as one.")
        )
    name = clean_filename(filename)
    suffix = extension(name)
    claimed = EXTENSIONS.get(suffix)
    if suffix and claimed is None:
        raise ServiceError(
            N_(
                "Files named %(extension)s are not accepted as annexes. Save the document as "
                "%(type)s, with a name ending in %(allowed)s."
            ),
            extension=f"“…{suffix}”",
            type=ACCEPTED[media_type],
            allowed=CANONICAL[media_type],
        )
    name = download_name(name, media_type)  # a name without an extension gets its type's
    if claimed is not None and claimed != media_type:
        raise ServiceError(
            N_(
                "The file's name says %(claimed)s, but its content is %(actual)s. Check that "
                "you chose the right file."
            ),
            claimed=ACCEPTED[claimed],
            actual=ACCEPTED[media_type],
        )
    sha256 = hashlib.sha256(data).hexdigest()
    entry: dict[str, str | None] = {
        "kind": kind,
        "title": title.strip(),
        "language": language or None,
        "sha256": sha256,
    }
    content = copy.deepcopy(request.content)
    content["annexes"] = [*(content.get("annexes") or []), entry]
    save_content(
        session=session,
        request=request,
        editor=editor,
        expected_version=expected_version,
        content=content,
        client_addr=client_addr,
    )
    stored = keep_file(session=session, data=data, media_type=media_type)
    assert stored.id is not None and request.id is not None and editor.id is not None
    annex = RequestAnnex(
        request_id=request.id,
        file_id=stored.id,
        kind=kind,
        title=title.strip(),
        language=entry["language"],
        filename=name,
        uploaded_by=editor.id,
    )
    session.add(annex)
    session.flush()
    audit.record(
        session=session,
        action=AuditAction.annex_upload,
        user=editor,
        object_type="request",
        object_id=request.id,
        details={"sha256": stored.sha256},
        client_addr=client_addr,
    )
    return annex


def remove_annex(
    *,
    session: Session,
    request: MlaRequest,
    editor: User,
    expected_version: int,
    position: int | None = None,
    annex_id: int | None = None,
    client_addr: str = "",
) -> None:
    """Take an annex off the request: its description from the content and its file."""
    rows = annex_rows(session=session, request=request)
    row = next(
        (
            r
            for r in rows
            if (position is not None and r.position == position)
            or (annex_id is not None and r.annex is not None and r.annex.id == annex_id)
        ),
        None,
    )
    if row is None:
        raise NotFound(N_("That annex is no longer there. The list below is up to date."))
    if row.position is not None:
        content = copy.deepcopy(request.content)
        del content["annexes"][row.position]
        save_content(
            session=session,
            request=request,
            editor=editor,
            expected_version=expected_version,
            content=content,
            client_addr=client_addr,
        )
    else:  # no entry to take out; still refuse a stale page
        save_content(
            session=session,
            request=request,
            editor=editor,
            expected_version=expected_version,
            client_addr=client_addr,
        )
    if row.annex is not None:
        _delete_upload(session, row.annex)
    audit.record(
        session=session,
        action=AuditAction.annex_remove,
        user=editor,
        object_type="request",
        object_id=request.id,
        client_addr=client_addr,
        details={"sha256": row.file.sha256} if row.file else {"description_only": True},
    )
    session.flush()


def _delete_upload(session: Session, annex: RequestAnnex) -> None:
    file_id = annex.file_id
    session.delete(annex)
    session.flush()
    still_used = (
        session.exec(select(RequestAnnex.id).where(RequestAnnex.file_id == file_id)).first()
        or session.exec(select(Packet.id).where(Packet.file_id == file_id)).first()
    )
    if still_used is None:
        content = session.get(FileContent, file_id)
        if content is not None:
            session.delete(content)
        stored = session.get(StoredFile, file_id)
        if stored is not None:
            session.delete(stored)
        session.flush()


def annex_file(
    *, session: Session, request: MlaRequest, annex_id: int
) -> tuple[RequestAnnex, StoredFile, bytes]:
    """An uploaded annex of this request with its bytes, or NotFound."""
    annex = session.get(RequestAnnex, annex_id)
    if annex is None or annex.request_id != request.id:
        raise NotFound(N_("No such annex."))
    stored = session.get(StoredFile, annex.file_id)
    data = file_bytes(session=session, file_id=annex.file_id)
    if stored is None or data is None:
        raise NotFound(N_("No such annex."))
    return annex, stored, data
