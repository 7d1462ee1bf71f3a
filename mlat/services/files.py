"""Stored files: their bytes kept encrypted in ``file_content``, read back as they came.

Files are sealed and opened here only (``mlat.services.data_keys`` moves them to a new
key). Each file is sealed with a key of its own, wrapped by the configured key
(``mlat.crypto``); the associated data names the file's id, so a file's stored bytes
copied into another row do not open. The digest kept in ``StoredFile.sha256`` is of the
plain bytes: what users see and check does not depend on the encryption.
"""

from __future__ import annotations

import hashlib

from sqlmodel import Session

from mlat.crypto import Keyring, Sealed, keyring_for
from mlat.models import FileContent, StoredFile


def file_context(file_id: int) -> str:
    return f"file {file_id}"


def keep_file(*, session: Session, data: bytes, media_type: str) -> StoredFile:
    """Keep bytes as a stored file, encrypted (flushed, not committed)."""
    stored = StoredFile(sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                        media_type=media_type)  # fmt: skip
    session.add(stored)
    session.flush()
    assert stored.id is not None
    session.add(sealed_content(keyring_for(session), stored.id, data))
    return stored


def sealed_content(keyring: Keyring, file_id: int, data: bytes) -> FileContent:
    sealed = keyring.seal(data, context=file_context(file_id))
    return FileContent(file_id=file_id, data=sealed.ciphertext, key_id=sealed.key_id,
                       data_key=sealed.data_key, nonce=sealed.nonce)  # fmt: skip


def sealed_of(content: FileContent) -> Sealed:
    return Sealed(content.key_id, content.data_key, content.nonce, content.data)


def content_bytes(*, session: Session, content: FileContent) -> bytes:
    """The plain bytes of a loaded row; ``DataKeyError`` when they do not open."""
    return keyring_for(session).open_(sealed_of(content), context=file_context(content.file_id))


def file_bytes(*, session: Session, file_id: int) -> bytes | None:
    """The plain bytes of a stored file; None when there is no such file."""
    content = session.get(FileContent, file_id)
    return content_bytes(session=session, content=content) if content is not None else None
