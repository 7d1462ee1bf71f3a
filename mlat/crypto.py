"""Envelope encryption of what the database keeps secret: stored files and TOTP secrets.

Each value is sealed with a data key of its own (AES-256-GCM, a fresh random key and
nonce). The data key is wrapped, with AES-256-GCM as well, by a key-encryption key from
the configuration (``MLAT_DATA_KEYS``; ``mlat.config.data_keys_of``), named by a short
id stored beside it, so that a change of key-encryption key re-wraps a few bytes per file
and leaves the ciphertext alone (``flask --app app keys rotate``).

Both layers authenticate a *context* naming the row the value belongs to (``file 12``,
``user 7 totp``): a value copied into another row does not open, nor does one whose key
id was changed. A value that does not open raises ``DataKeyError``, with the reason in
words; nothing is ever returned from a ciphertext that did not verify.

The keyring of a database is registered on its engine (``use_keyring``), as the job
queue is (``mlat.dispatch``), so that services find it from their session.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mlat.config import Config, data_keys_of

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
TEXT_VERSION = "v1"  # the first part of a sealed text (``seal_text``)


class DataKeyError(Exception):
    """A sealed value that cannot be opened, or keys that cannot be used; the message
    says which and why, for the log and the operator."""


class KeyNotConfigured(DataKeyError):
    pass


class NotSealed(DataKeyError):
    """A value stored before encryption at rest and not sealed since."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    """the key-encryption key that wrapped ``data_key``"""
    data_key: bytes
    """nonce and AES-GCM ciphertext of the value's own key"""
    nonce: bytes
    ciphertext: bytes


def _wrap_context(key_id: str, context: str) -> bytes:
    return f"mlat data key|{key_id}|{context}".encode()


def _value_context(context: str) -> bytes:
    return f"mlat value|{context}".encode()


@dataclass(frozen=True)
class Keyring:
    """The key-encryption keys by id; ``current`` seals, every one of them opens."""

    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    @classmethod
    def parse(cls, text: str, *, source: str = "MLAT_DATA_KEYS") -> Keyring:
        """Keys written ``id:base64key``, separated by commas or line breaks; the first
        is the current one. Raises ``DataKeyError`` naming ``source`` for bad input."""
        keys: dict[str, bytes] = {}
        for entry in re.split(r"[,\s]+", text.strip()):
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep or not KEY_ID.fullmatch(key_id):
                raise DataKeyError(
                    f"{source}: each key is written id:base64key, with an id of 1 to 32 "
                    "letters, digits, '-' or '_'."
                )
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                key = b""
            if len(key) != KEY_BYTES:
                raise DataKeyError(
                    f"{source}: key {key_id!r} is not {KEY_BYTES} bytes written in base64."
                )
            if key_id in keys:
                raise DataKeyError(f"{source}: key {key_id!r} is given twice.")
            keys[key_id] = key
        if not keys:
            raise DataKeyError(f"{source} holds no key.")
        return cls(current=next(iter(keys)), keys=keys)

    def _kek(self, key_id: str) -> AESGCM:
        if key_id not in self.keys:
            raise KeyNotConfigured(
                f"Stored data is encrypted with key {key_id!r}, which is not configured "
                f"(configured: {', '.join(self.keys)}). Set it again in MLAT_DATA_KEYS."
            )
        return AESGCM(self.keys[key_id])

    def _wrap(self, data_key: bytes, context: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = self._kek(self.current).encrypt(
            nonce, data_key, _wrap_context(self.current, context)
        )
        return nonce + wrapped

    def _unwrap(self, sealed: Sealed, context: str) -> bytes:
        if not sealed.key_id:
            raise NotSealed(
                f"The value of {context} is not encrypted yet: run `flask --app app keys rotate`."
            )
        kek = self._kek(sealed.key_id)
        nonce, wrapped = sealed.data_key[:NONCE_BYTES], sealed.data_key[NONCE_BYTES:]
        try:
            return kek.decrypt(nonce, wrapped, _wrap_context(sealed.key_id, context))
        except InvalidTag:
            raise DataKeyError(
                f"The key of {context} does not open with key {sealed.key_id!r}: the key "
                "configured under that id is not the one it was sealed with, or the stored "
                "value was changed or belongs to another row."
            ) from None

    def wrap(self, data_key: bytes, *, context: str) -> tuple[str, bytes]:
        """A data key the caller encrypts with itself (a stream too large to seal at
        once), wrapped by the current key: the key's id and the wrapped key."""
        return self.current, self._wrap(data_key, context)

    def unwrap(self, sealed: Sealed, *, context: str) -> bytes:
        """The data key of ``sealed`` (its ``key_id`` and ``data_key``), or
        ``DataKeyError`` when it does not open."""
        return self._unwrap(sealed, context)

    def seal(self, plaintext: bytes, *, context: str) -> Sealed:
        """Encrypt ``plaintext`` with a new data key, wrapped by the current key."""
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, _value_context(context))
        return Sealed(self.current, self._wrap(data_key, context), nonce, ciphertext)

    def open_(self, sealed: Sealed, *, context: str) -> bytes:
        """The plaintext, or ``DataKeyError`` when it does not verify."""
        data_key = self._unwrap(sealed, context)
        try:
            return AESGCM(data_key).decrypt(
                sealed.nonce, sealed.ciphertext, _value_context(context)
            )
        except InvalidTag:
            raise DataKeyError(
                f"The value of {context} was changed or belongs to another row: it does not verify."
            ) from None

    def rewrap(self, sealed: Sealed, *, context: str) -> Sealed:
        """The same ciphertext, with its data key wrapped by the current key."""
        data_key = self._unwrap(sealed, context)
        return Sealed(self.current, self._wrap(data_key, context), sealed.nonce, sealed.ciphertext)

    def seal_text(self, text: str, *, context: str) -> str:
        """A short secret sealed into one text value: ``v1:<key id>:<base64>``."""
        sealed = self.seal(text.encode(), context=context)
        packed = base64.urlsafe_b64encode(sealed.data_key + sealed.nonce + sealed.ciphertext)
        return f"{TEXT_VERSION}:{sealed.key_id}:{packed.decode()}"

    def open_text(self, value: str, *, context: str) -> str:
        return self.open_(sealed_text(value, context=context), context=context).decode()


# The data key's wrapping: its nonce, the 32-byte key and the tag.
WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + 16


def text_key_id(value: str) -> str:
    """The key id of a sealed text; empty for a value that is not sealed."""
    version, _, rest = value.partition(":")
    return rest.partition(":")[0] if version == TEXT_VERSION else ""


def sealed_text(value: str, *, context: str) -> Sealed:
    version, _, rest = value.partition(":")
    key_id, _, packed = rest.partition(":")
    if version != TEXT_VERSION:
        return Sealed("", b"", b"", b"")  # refused by open_ as not sealed
    try:
        raw = base64.urlsafe_b64decode(packed.encode())
    except binascii.Error:
        raw = b""
    if len(raw) < WRAPPED_BYTES + NONCE_BYTES:
        raise DataKeyError(f"The value of {context} is not a sealed value.")
    return Sealed(key_id, raw[:WRAPPED_BYTES], raw[WRAPPED_BYTES : WRAPPED_BYTES + NONCE_BYTES],
                  raw[WRAPPED_BYTES + NONCE_BYTES :])  # fmt: skip


def keyring_of(config: Config) -> Keyring:
    """The configuration's keys (``MLAT_DATA_KEYS``, ``MLAT_DATA_KEY_FILE``, or the key
    generated once into the instance folder)."""
    return Keyring.parse(data_keys_of(config))


_keyrings: weakref.WeakKeyDictionary[Engine, Keyring] = weakref.WeakKeyDictionary()


def use_keyring(engine: Engine, keyring: Keyring) -> None:
    """Seal and open the data of the database behind ``engine`` with ``keyring``."""
    _keyrings[engine] = keyring


def keyring_for(session: Session) -> Keyring:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    keyring = _keyrings.get(engine)
    if keyring is None:
        raise KeyNotConfigured(
            "No data encryption keys are set up for this database connection "
            "(mlat.crypto.use_keyring)."
        )
    return keyring
