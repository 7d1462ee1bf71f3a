"""The audit trail's keys, and what each database engine's trail does after an append.

Entries and checkpoints are authenticated with HMAC-SHA-256 under a key kept outside the
database, so that whoever can only write to the database cannot forge a chain that
verifies. Each configured key is named by an id, recorded with what it signed: the first
key signs, the others only verify what they signed before a rotation. From each key two
keys are derived, one for entries and one for checkpoints, so that a MAC of one kind is
never valid as the other.

The keys belong to an engine (``bind``), as the queue of ``mlat.dispatch`` does: every
session on it, the app's, the CLI's or a test's, signs with them without being told. A
session on an engine without keys writes entries as before keys existed.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import weakref
from collections.abc import Callable, Iterable

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction

from mlat.config import AuditKey

ENTRY = b"mlat audit entry"
CHECKPOINT = b"mlat audit checkpoint"


class UnknownKey(KeyError):
    """Something was signed with a key id that is not configured."""


class Keyring:
    """The keys by id; ``signing_id`` names the one that signs ("" when there is none)."""

    def __init__(self, keys: Iterable[AuditKey] = ()) -> None:
        keys = tuple(keys)
        self.signing_id = keys[0].key_id if keys else ""
        self.ids = tuple(k.key_id for k in keys)
        self._entry = {k.key_id: _derive(k.secret, ENTRY) for k in keys}
        self._checkpoint = {k.key_id: _derive(k.secret, CHECKPOINT) for k in keys}

    def entry_mac(self, key_id: str, data: bytes) -> str:
        return _mac(self._entry, key_id, data)

    def checkpoint_mac(self, key_id: str, data: bytes) -> str:
        return _mac(self._checkpoint, key_id, data)


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return hmac.digest(secret, purpose, hashlib.sha256)


def _mac(keys: dict[str, bytes], key_id: str, data: bytes) -> str:
    try:
        key = keys[key_id]
    except KeyError:
        raise UnknownKey(key_id) from None
    return hmac.new(key, data, hashlib.sha256).hexdigest()


NO_KEYS = Keyring()


class Trail:
    """An engine's audit keys, loaded on first use, and what to do after an append."""

    def __init__(
        self,
        load_keys: Callable[[], Iterable[AuditKey]],
        after_append: Callable[[Engine], None] | None = None,
    ) -> None:
        self._load_keys = load_keys
        self._keyring: Keyring | None = None
        self._lock = threading.Lock()
        self.after_append = after_append

    def keyring(self) -> Keyring:
        if self._keyring is None:
            with self._lock:
                if self._keyring is None:
                    self._keyring = Keyring(self._load_keys())
        return self._keyring


_trails: weakref.WeakKeyDictionary[Engine, Trail] = weakref.WeakKeyDictionary()
_APPENDED = "mlat.audit.appended"
_listening = False


def bind(engine: Engine, trail: Trail) -> None:
    global _listening
    _trails[engine] = trail
    if trail.after_append is not None and not _listening:
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_soft_rollback", _rolled_back)
        _listening = True


def trail_for(bound: Session | Engine) -> Trail | None:
    engine = bound if isinstance(bound, Engine) else bound.get_bind()
    return _trails.get(engine) if isinstance(engine, Engine) else None


def keyring_for(bound: Session | Engine) -> Keyring:
    trail = trail_for(bound)
    return trail.keyring() if trail is not None else NO_KEYS


def appended(session: Session, trail: Trail) -> None:
    """Note that the session's transaction appended an entry, for after it commits."""
    if trail.after_append is not None:
        session.info[_APPENDED] = True


def _committed(session: Session) -> None:
    if not session.info.pop(_APPENDED, False):
        return
    bind = session.get_bind()
    trail = _trails.get(bind) if isinstance(bind, Engine) else None
    if isinstance(bind, Engine) and trail is not None and trail.after_append is not None:
        trail.after_append(bind)


def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_APPENDED, None)
