"""Where evidence files are kept: encrypted, addressed by the SHA-256 of their content, in
a folder or in an S3-compatible object store.

Evidence can be several gigabytes, so nothing here holds a file whole in memory. A file
is read in chunks; each chunk is hashed and encrypted as it passes, into a temporary file
beside the store; once the whole file has passed, its digest names it, and the encrypted
file is moved (a folder) or uploaded in parts (an object store) under that name. A file
that breaks off midway leaves only its temporary file, which is removed: nothing is kept
under a name until all of it is there.

Encryption is the STREAM construction over AES-256-GCM: the file's own data key (wrapped
by the configured key-encryption key, as ``mlat.crypto`` wraps every data key) encrypts
chunks of ``CHUNK`` bytes, each with a nonce made of a random prefix, the chunk's number
and a flag set on the last chunk, and the file's context as associated data. A chunk
changed, moved, dropped or added after the last one does not open, and the reader says
so; the plain bytes of a chunk are handed on only once that chunk has verified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import secrets
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mlat.config import EvidenceSettings
from mlat.crypto import DataKeyError, Keyring, Sealed

CHUNK = 1024 * 1024
"""plain bytes per encrypted chunk"""
TAG = 16
PREFIX_BYTES = 7
READ = 256 * 1024
"""how much of an incoming file is read at a time"""


class StoreError(Exception):
    """The store could not keep or give back a file; the message says why, in words."""


def _never(sha256: str) -> bool:
    return False


def blob_context(sha256: str) -> str:
    return f"evidence {sha256}"


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


@dataclass(frozen=True)
class Kept:
    """A file as the store keeps it: its digest and size (of the plain bytes), what opens
    it (the wrapped data key and the nonce prefix), and its name in the store: the digest
    and a random suffix, so that two copies of the same content kept at the same moment,
    each encrypted with its own key, never overwrite each other. Empty: not stored,
    because the caller already keeps that content."""

    sha256: str
    size: int
    key_id: str
    data_key: bytes
    nonce_prefix: bytes
    name: str


class Backend(Protocol):
    """Keeps encrypted files by name. ``put`` takes a finished temporary file."""

    name: str

    def put(self, key: str, path: Path) -> None: ...
    def exists(self, key: str) -> bool: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def objects(self) -> Iterator[tuple[str, dt.datetime]]:
        """Every name kept, with when it was last written."""
        ...


class FolderBackend:
    """Files in a folder, two levels deep by the digest's first characters."""

    name = "folder"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key[2:4] / key

    def put(self, key: str, path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # atomic: the name holds the whole file or nothing

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise StoreError(f"The evidence file {key} is missing from {self.root}.") from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def objects(self) -> Iterator[tuple[str, dt.datetime]]:
        for path in self.root.glob("*/*/*"):
            if path.is_file():
                yield path.name, dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


class S3Backend:
    """Objects in a bucket of an S3-compatible store, uploaded in parts by boto3."""

    name = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str = "evidence/") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def put(self, key: str, path: Path) -> None:
        try:
            self.client.upload_file(str(path), self.bucket, self._key(key))
        except Exception as exc:  # boto3's errors share no base class worth naming
            raise StoreError(f"The object store did not take {key}: {exc}") from exc
        finally:
            path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception:
            return False
        return True

    def open(self, key: str) -> BinaryIO:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise StoreError(f"The object store did not give back {key}: {exc}") from exc
        body: BinaryIO = answer["Body"]
        return body

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def objects(self) -> Iterator[tuple[str, dt.datetime]]:
        pages = self.client.get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for found in page.get("Contents", []):
                yield str(found["Key"])[len(self.prefix) :], found["LastModified"]


class EvidenceStore:
    """Keeps evidence files encrypted in ``backend``, staging them in ``scratch``."""

    def __init__(self, backend: Backend, scratch: Path) -> None:
        self.backend, self.scratch = backend, scratch

    def keep(
        self, keyring: Keyring, chunks: Iterable[bytes], known: Callable[[str], bool] = _never
    ) -> Kept:
        """Hash and encrypt the file as it comes, then keep it under its digest (and a
        random suffix). Content the caller already keeps (``known`` says so of its
        digest) is not stored again: its staging file is removed and the ``Kept`` has no
        name; the caller uses the copy it has."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix="incoming-", dir=self.scratch)
        staging = Path(name)
        data_key = AESGCM.generate_key(bit_length=256)
        prefix = secrets.token_bytes(PREFIX_BYTES)
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(handle, "wb") as out:
                cipher, index, pending = AESGCM(data_key), 0, b""
                for piece in _rechunk(chunks):
                    digest.update(piece)
                    size += len(piece)
                    if pending:  # not the last: another chunk followed it
                        out.write(cipher.encrypt(_nonce(prefix, index, False), pending, None))
                        index += 1
                    pending = piece
                sha256 = digest.hexdigest()
                # The chunks before the last were sealed before the digest was known: the
                # file's own data key binds them to it, and the last chunk names it too
                # (an empty file is one empty last chunk).
                context = blob_context(sha256).encode()
                out.write(cipher.encrypt(_nonce(prefix, index, True), pending, context))
            key_id, wrapped = keyring.wrap(data_key, context=blob_context(sha256))
            if known(sha256):
                return Kept(sha256, size, key_id, wrapped, prefix, "")
            name = f"{sha256}.{secrets.token_hex(4)}"
            self.backend.put(name, staging)
            return Kept(sha256, size, key_id, wrapped, prefix, name)
        finally:
            staging.unlink(missing_ok=True)

    def read(self, keyring: Keyring, kept: Kept) -> Iterator[bytes]:
        """The plain bytes, chunk by chunk, each verified before it is given; a file
        changed in the store raises ``DataKeyError`` naming it."""
        sealed = Sealed(kept.key_id, kept.data_key, b"", b"")
        data_key = keyring.unwrap(sealed, context=blob_context(kept.sha256))
        cipher, context = AESGCM(data_key), blob_context(kept.sha256).encode()
        with self.backend.open(kept.name) as source:
            index, current = 0, _read_exactly(source, CHUNK + TAG)
            while True:
                following = (
                    _read_exactly(source, CHUNK + TAG) if len(current) == CHUNK + TAG else b""
                )
                last = not following
                try:
                    plain = cipher.decrypt(
                        _nonce(kept.nonce_prefix, index, last), current, context if last else None
                    )
                except InvalidTag:
                    raise DataKeyError(
                        f"The evidence file {kept.sha256} was changed or cut short in the "
                        f"store: its chunk {index} does not verify."
                    ) from None
                yield plain
                if last:
                    return
                index, current = index + 1, following


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The incoming pieces, cut and joined into chunks of exactly ``CHUNK`` bytes (the
    last one shorter), so that a reader knows where each encrypted chunk ends."""
    buffer = bytearray()
    for piece in chunks:
        buffer += piece
        while len(buffer) >= CHUNK:
            yield bytes(buffer[:CHUNK])
            del buffer[:CHUNK]
    if buffer:
        yield bytes(buffer)


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    parts, wanted = [], size
    while wanted:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def file_chunks(stream: IO[bytes], limit: int | None = None) -> Iterator[bytes]:
    """A readable stream, ``READ`` bytes at a time; ``StoreError`` past ``limit`` bytes."""
    seen = 0
    while True:
        piece = stream.read(READ)
        if not piece:
            return
        seen += len(piece)
        if limit is not None and seen > limit:
            raise StoreError("The file is larger than the limit set for evidence.")
        yield piece


def bytes_chunks(data: bytes) -> Iterator[bytes]:
    yield from file_chunks(io.BytesIO(data))


def store_of(settings: EvidenceSettings, instance_path: Path) -> EvidenceStore:
    """The store the settings name: a bucket (boto3 reads the credentials and region the
    usual way: environment, shared files, instance role), or else a folder."""
    folder = Path(settings.folder) if settings.folder else instance_path / "evidence"
    if settings.s3_bucket:
        import boto3

        client = boto3.client("s3", endpoint_url=settings.s3_endpoint or None)
        return EvidenceStore(S3Backend(client, settings.s3_bucket, settings.s3_prefix),
                             folder / "incoming")  # fmt: skip
    return EvidenceStore(FolderBackend(folder / "files"), folder / "incoming")
