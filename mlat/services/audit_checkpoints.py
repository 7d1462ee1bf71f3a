"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint is one JSON line: the head's number and hash, the time, the id of the key
and the source that wrote it, and the HMAC of those under the checkpoint key
(``mlat.services.audit_keys``). Lines are appended to ``checkpoints.jsonl`` in the
configured directory (opened for appending only, and synced to disk), and when configured
also timestamped by an RFC 3161 authority and sent to syslog (``audit_anchors``).

With checkpoints, ``check`` shows what the chain alone cannot: entries cut off at the end
with the head set back, and a chain rewritten from the start (without the key, or with
entries that were never keyed). The ``audit checkpoint`` command, each backup and the app
itself (after an append commits, at most every ``checkpoint_minutes``) write them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mlat.config import AuditSettings, Config, audit_keys
from mlat.models import AuditEntry
from mlat.services.audit import head
from mlat.services.audit_anchors import imprint_problem, send_to_syslog, timestamp_token
from mlat.services.audit_keys import Keyring, Trail, UnknownKey, bind, keyring_for

log = logging.getLogger(__name__)

FILE_NAME = "checkpoints.jsonl"
RETRY_SECONDS = 60.0
HEX64 = re.compile(r"[0-9a-f]{64}")


class CheckpointError(Exception):
    pass


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    key_id: str
    source: str
    mac: str = ""
    tsa: str = ""
    """an RFC 3161 timestamp token (DER, base64) of ``stamped``"""

    def signed(self) -> bytes:
        """What the MAC covers."""
        return _canonical(seq=self.seq, hash=self.hash, at=self.at, key_id=self.key_id,
                          source=self.source)  # fmt: skip

    def stamped(self) -> bytes:
        """What the timestamp covers: the line without the timestamp."""
        return _canonical(**{k: v for k, v in asdict(self).items() if k != "tsa"})

    def line(self) -> str:
        fields = {k: v for k, v in asdict(self).items() if k != "tsa" or v}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")) + "\n"

    @property
    def written(self) -> str:
        """When it was written, in words."""
        return f"{dt.datetime.fromisoformat(self.at).astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _canonical(**fields: object) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Written:
    checkpoint: Checkpoint
    path: Path
    warnings: tuple[str, ...] = ()
    """what failed besides the file (the timestamp, syslog): the line was written"""


def write_checkpoint(
    *,
    session: Session,
    settings: AuditSettings,
    keys: Keyring,
    source: str,
    at_head: tuple[int, str] | None = None,
) -> Written:
    """Append a signed checkpoint of the current head (or of ``at_head``, a backup's);
    raises ``CheckpointError`` when no directory is configured, there is no key, or the
    file cannot be written."""
    if settings.checkpoint_dir is None:
        raise CheckpointError("No checkpoint directory is configured (MLAT_AUDIT_CHECKPOINT_DIR).")
    if not keys.signing_id:
        raise CheckpointError("No audit key is configured to sign checkpoints.")
    seq, digest = at_head or head(session=session)
    checkpoint = Checkpoint(seq=seq, hash=digest, key_id=keys.signing_id, source=source,
                            at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))  # fmt: skip
    checkpoint = _replace(checkpoint, mac=keys.checkpoint_mac(keys.signing_id, checkpoint.signed()))
    warnings = []
    if settings.tsa_url:
        try:
            token = timestamp_token(settings.tsa_url, checkpoint.stamped())
            checkpoint = _replace(checkpoint, tsa=token)
        except Exception as exc:  # the checkpoint counts without the timestamp
            warnings.append(f"The timestamp authority did not answer ({exc}).")
    path = settings.checkpoint_dir / FILE_NAME
    try:
        _append(path, checkpoint.line().encode())
    except OSError as exc:
        raise CheckpointError(f"The checkpoint could not be written to {path}: {exc}") from exc
    if settings.syslog:
        try:
            send_to_syslog(settings.syslog, checkpoint.line().rstrip("\n"))
        except OSError as exc:
            warnings.append(f"Syslog at {settings.syslog} did not take the checkpoint ({exc}).")
    return Written(checkpoint, path, tuple(warnings))


def _replace(checkpoint: Checkpoint, **changes: str) -> Checkpoint:
    return Checkpoint(**{**asdict(checkpoint), **changes})


def _append(path: Path, data: bytes) -> None:
    """Append with one write on a file opened for appending only, and sync it to disk
    (and the directory, when the file is new)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if os.write(fd, data) != len(data):
            raise OSError("the line was written only in part")
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


# Written by the app ---------------------------------------------------------------------


class Automatic:
    """After an append commits: a checkpoint when the newest one in the file is older
    than the interval. Checked against a clock in memory, then the file's time (which
    other processes' checkpoints move too), so that nearly every call costs nothing; the
    checkpoint is written by a thread of its own, so the request does not wait for it."""

    def __init__(
        self,
        settings: AuditSettings,
        *,
        background: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        assert settings.checkpoint_dir is not None
        self.settings = settings
        self.path = settings.checkpoint_dir / FILE_NAME
        self.interval = settings.checkpoint_minutes * 60
        self.background = background
        self.clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def __call__(self, engine: Engine) -> None:
        now = self.clock()
        if now < self._next or not self._lock.acquire(blocking=False):
            return
        try:
            if now < self._next:
                return
            try:
                age = time.time() - self.path.stat().st_mtime
            except OSError:
                age = self.interval
            if 0 <= age < self.interval:
                self._next = now + self.interval - age
                return
            self._next = now + self.interval
        finally:
            self._lock.release()
        if self.background:
            threading.Thread(target=self.write, args=(engine,), name="audit-checkpoint",
                             daemon=True).start()  # fmt: skip
        else:
            self.write(engine)

    def write(self, engine: Engine) -> None:
        try:
            with Session(engine) as session:
                written = write_checkpoint(session=session, settings=self.settings,
                                           keys=keyring_for(engine), source="app")  # fmt: skip
        except Exception:  # the append committed already; an append a minute on tries again
            log.exception("Could not write an audit checkpoint")
            self._next = self.clock() + min(self.interval, RETRY_SECONDS)
            return
        for warning in written.warnings:
            log.warning("Audit checkpoint at entry %s: %s", written.checkpoint.seq, warning)


def attach(engine: Engine, config: Config) -> None:
    """Give the engine the configured audit keys, and the app's automatic checkpoints."""
    settings = config.audit
    automatic = None
    if settings.checkpoint_dir is not None and settings.checkpoint_minutes > 0:
        automatic = Automatic(settings, background=not config.testing)
    bind(engine, Trail(lambda: audit_keys(config), automatic))


# Checking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointReport:
    checked: int
    """the checkpoints whose signature is right"""
    newest: Checkpoint | None
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def read_checkpoints(directory: Path) -> Iterator[tuple[str, Checkpoint | None]]:
    """Each line of each ``*.jsonl`` file in the directory (rotated copies included), as
    (where, checkpoint), the checkpoint None when the line is not one."""
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, text in enumerate(lines, start=1):
                if text.strip():
                    yield f"line {number} of {path.name}", _parse(text)


def _parse(text: str) -> Checkpoint | None:
    try:
        fields = json.loads(text)
        checkpoint = Checkpoint(**fields)
        dt.datetime.fromisoformat(checkpoint.at).astimezone(dt.UTC)
    except (ValueError, TypeError):
        return None
    strings = (checkpoint.hash, checkpoint.at, checkpoint.key_id, checkpoint.source,
               checkpoint.mac, checkpoint.tsa)  # fmt: skip
    if not all(isinstance(s, str) for s in strings) or type(checkpoint.seq) is not int:
        return None
    if checkpoint.seq < 0 or not HEX64.fullmatch(checkpoint.hash):
        return None
    return checkpoint


def check(*, session: Session, directory: Path, keys: Keyring) -> CheckpointReport:
    """Check each checkpoint's signature (and timestamp), that the entry it names has its
    hash, and that the head is not behind the newest one."""
    problems: list[str] = []
    valid: list[Checkpoint] = []
    if not directory.is_dir():
        return CheckpointReport(0, None, (f"{directory} is not a directory.",))
    for where, checkpoint in read_checkpoints(directory):
        problem = "is not a checkpoint" if checkpoint is None else _unsigned(checkpoint, keys)
        if checkpoint is None or problem:
            problems.append(f"The checkpoint on {where} {problem}.")
            continue
        if checkpoint.tsa and (stamp := imprint_problem(checkpoint.tsa, checkpoint.stamped())):
            problems.append(f"The timestamp on {where} {stamp}.")
        valid.append(checkpoint)
    if not valid:
        return CheckpointReport(0, None, (*problems, f"No valid checkpoint in {directory}."))
    newest = max(valid, key=lambda c: (c.seq, c.at))
    head_seq, _ = head(session=session)
    if newest.seq > head_seq:
        problems.append(
            f"Entries after seq {head_seq} are missing: the newest checkpoint, written "
            f"{newest.written}, records seq {newest.seq}."
        )
    problems.extend(_mismatches(session, [c for c in valid if 0 < c.seq <= head_seq]))
    return CheckpointReport(len(valid), newest, tuple(problems))


def _unsigned(checkpoint: Checkpoint, keys: Keyring) -> str:
    try:
        if keys.checkpoint_mac(checkpoint.key_id, checkpoint.signed()) != checkpoint.mac:
            return "was changed after it was written: its signature does not match"
    except UnknownKey:
        return f"was signed with the key {checkpoint.key_id}, which is not configured"
    return ""


def _mismatches(session: Session, checkpoints: list[Checkpoint]) -> list[str]:
    """The first entry that is missing or differs from its checkpoint, and how many more."""
    seqs = sorted({c.seq for c in checkpoints})
    hashes: dict[int, str] = {}
    for start in range(0, len(seqs), 500):
        chunk = seqs[start : start + 500]
        query = select(AuditEntry.seq, AuditEntry.hash).where(col(AuditEntry.seq).in_(chunk))
        hashes.update((int(seq), str(digest)) for seq, digest in session.execute(query))
    wrong = sorted((c for c in checkpoints if hashes.get(c.seq) != c.hash), key=lambda c: c.seq)
    if not wrong:
        return []
    first = wrong[0]
    if first.seq not in hashes:
        found = f"Entry {first.seq} is missing: the checkpoint written {first.written} records it"
    else:
        found = (
            f"Entry {first.seq} does not match its checkpoint, written {first.written}: "
            "the chain was rewritten"
        )
    more = {0: ".", 1: " (a later checkpoint does not match either)."}.get(
        len(wrong) - 1, f" ({len(wrong) - 1} later checkpoints do not match either)."
    )
    return [found + more]
