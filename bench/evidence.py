"""Evidence intake: a file streamed through the store (hashed, encrypted, kept in a
folder) and read back, for files of growing size, each in a process of its own so that
its peak memory is its own. The peak must not grow with the file: nothing holds a file
whole.

    python -m bench.evidence            64 MB, 512 MB and 2 GB (BENCH_QUICK: 64 and 256 MB)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlat.crypto import Keyring
from mlat.evidence_store import EvidenceStore, FolderBackend

MB = 1024 * 1024
SIZES = (64 * MB, 512 * MB, 2048 * MB)
QUICK_SIZES = (64 * MB, 256 * MB)


def _pieces(size: int) -> Iterator[bytes]:
    """``size`` bytes as an upload brings them: 256 KiB at a time, made as they are read."""
    block = hashlib.sha256(b"bench").digest() * (256 * 1024 // 32)
    sent = 0
    while sent < size:
        piece = block[: min(len(block), size - sent)]
        sent += len(piece)
        yield piece


def one(size: int, folder: Path) -> dict[str, Any]:
    """Keep a file of ``size`` bytes and read it back; in this process alone."""
    keyring = Keyring.parse("bench:" + base64.b64encode(b"\x01" * 32).decode())
    store = EvidenceStore(FolderBackend(folder / "files"), folder / "incoming")
    start = time.perf_counter()
    kept = store.keep(keyring, _pieces(size))
    kept_s = time.perf_counter() - start
    start = time.perf_counter()
    digest = hashlib.sha256()
    for chunk in store.read(keyring, kept):
        digest.update(chunk)
    read_s = time.perf_counter() - start
    assert digest.hexdigest() == kept.sha256
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "size_mb": size // MB,
        "keep_s": round(kept_s, 2),
        "keep_mb_per_s": round(size / MB / kept_s, 1),
        "read_s": round(read_s, 2),
        "read_mb_per_s": round(size / MB / read_s, 1),
        "peak_rss_mb": round(peak_kib / 1024, 1),
    }


def run(quick: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for size in QUICK_SIZES if quick else SIZES:
        with tempfile.TemporaryDirectory(prefix="bench-evidence-") as folder:
            done = subprocess.run(
                [sys.executable, "-m", "bench.evidence", "--one", str(size), folder],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
        results[f"{size // MB} MB"] = json.loads(done.stdout)
    return results


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]), Path(sys.argv[3]))))
    else:
        quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
        print(json.dumps(run(quick), indent=2))
