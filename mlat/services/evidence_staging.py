"""The staging file of an evidence upload (``mlat.services.evidence_uploads``): the
bytes received so far, encrypted with the upload's own data key, in records of
``RECORD_BYTES`` plain bytes. Each record is a random nonce, then the AES-256-GCM
ciphertext and tag, with the upload's context, the record's position and whether it
is the last of the file as associated data: a record changed, moved, dropped, or added
after the last, does not open.

The nonces are random rather than counted because a chunk refused halfway (damaged, or
broken off) or sent again after its answer was lost is encrypted again, and a nonce
must never serve twice under one key.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mlat.evidence_store import CHUNK, READ, TAG

RECORD_BYTES = CHUNK
"""plain bytes per record; a chunk sent is a whole number of records, but for the last"""
NONCE = 12
RECORD = NONCE + RECORD_BYTES + TAG
"""bytes a whole record takes in the staging file"""


class StagingChanged(Exception):
    """A staging file that does not verify: changed, cut short or lengthened."""


@dataclass(frozen=True)
class StagingKey:
    """What seals and opens one upload's staging file."""

    data_key: bytes
    context: str
    size: int
    """the size of the whole file, as declared"""

    @property
    def records(self) -> int:
        return -(-self.size // RECORD_BYTES)


def _associated(key: StagingKey, index: int) -> bytes:
    """The upload's context, the record's position, and whether it is the last."""
    return key.context.encode() + struct.pack(">QB", index, index == key.records - 1)


def offset(position: int) -> int:
    """Where the record starting at plain byte ``position`` begins in the staging file."""
    return position // RECORD_BYTES * RECORD


def append(
    key: StagingKey, out: BinaryIO, position: int, body: IO[bytes], expected: int
) -> tuple[int, bytes]:
    """Seal what ``body`` holds, read in pieces, as the records from plain byte
    ``position`` on, writing them to ``out``; at most ``expected`` + 1 bytes are read.
    How many bytes came, and their SHA-256 (the caller refuses a wrong count or digest)."""
    cipher, index = AESGCM(key.data_key), position // RECORD_BYTES
    digest, got, pending = hashlib.sha256(), 0, bytearray()

    def seal(plain: bytes) -> None:
        nonce = secrets.token_bytes(NONCE)
        out.write(nonce + cipher.encrypt(nonce, plain, _associated(key, index)))

    while got <= expected:
        piece = body.read(min(READ, expected + 1 - got))
        if not piece:
            break
        digest.update(piece)
        got += len(piece)
        pending += piece
        while len(pending) >= RECORD_BYTES and got <= expected:
            seal(bytes(pending[:RECORD_BYTES]))
            del pending[:RECORD_BYTES]
            index += 1
    if pending and got <= expected:
        seal(bytes(pending))
    return got, digest.digest()


def read(key: StagingKey, source: BinaryIO) -> Iterator[bytes]:
    """The plain bytes, record by record, each verified before it is given;
    ``StagingChanged`` at the first record that does not open, or past the last."""
    cipher = AESGCM(key.data_key)
    for index in range(key.records):
        length = min(RECORD_BYTES, key.size - index * RECORD_BYTES)
        record = source.read(NONCE + length + TAG)
        try:
            plain = cipher.decrypt(record[:NONCE], record[NONCE:], _associated(key, index))
        except (InvalidTag, ValueError):
            raise StagingChanged(f"record {index} does not open") from None
        yield plain
    if source.read(1):
        raise StagingChanged("bytes after the last record")
