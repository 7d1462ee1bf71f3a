"""Online backups of the SQLite database with SQLite's backup API.

The copy is consistent (one snapshot, even while the app writes) and is itself a
working database. The head of the audit chain in the copy is read back, so that the
``backup`` command writes a signed checkpoint of exactly what the copy holds. PostgreSQL
is backed up with its own tools; see docs/operations.md.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Backup:
    pages: int
    audit_head: tuple[int, str] | None
    """the number and hash of the newest audit entry in the copy (None: no chain yet)"""


def backup_sqlite(engine: Engine, target: str | Path) -> Backup:
    """Copy the database behind ``engine`` to ``target``."""
    if engine.dialect.name != "sqlite":
        raise BackupError(
            "This database is not SQLite; back PostgreSQL up with pg_dump or pg_basebackup "
            "(see docs/operations.md)."
        )
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination)
            pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
            check = destination.execute("PRAGMA integrity_check").fetchone()[0]
            head = destination.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        finally:
            destination.close()
    finally:
        source.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"The copy failed its integrity check: {check}")
    partial.rename(target)
    return Backup(pages, (int(head[0]), str(head[1])) if head is not None else None)
