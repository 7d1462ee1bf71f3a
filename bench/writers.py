"""Concurrent writers: officers saving their drafts (the wizard's facts step) through
gunicorn, each as fast as the server answers, for a fixed time. Every answer other than
the redirect that follows a save counts as an error; there must be none."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import text

from bench import machine
from bench.server import Browser, gunicorn
from mlat.db import make_engine


def officers_drafts(database_url: str, *, unit: str | None = None) -> list[tuple[str, int]]:
    """(e-mail, draft) of every draft the seeded officers own, of one unit (by its code)
    or all, oldest first."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                'SELECT u.email, r.id FROM mla_request r JOIN "user" u ON u.id = r.owner_id '
                "JOIN unit ON unit.id = r.unit_id WHERE r.status = 'draft' "
                "AND u.email LIKE 'officer%' AND unit.code LIKE :unit ORDER BY r.id"
            ),
            {"unit": unit or "%"},
        ).all()
    engine.dispose()
    return [(str(email), int(draft)) for email, draft in rows]


def _drafts(database_url: str, writers: int) -> list[tuple[str, int]]:
    """(officer's e-mail, one of their drafts) for each writer, each a different officer."""
    first: dict[str, int] = {}
    for email, draft in officers_drafts(database_url):
        first.setdefault(email, draft)
    if len(first) < writers:
        raise RuntimeError(f"only {len(first)} officers with drafts for {writers} writers")
    return sorted(first.items())[:writers]


def run(
    database_url: str, *, password: str, writers: int = 10, seconds: int = 60
) -> dict[str, Any]:
    drafts = _drafts(database_url, writers)
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    with gunicorn(database_url) as base:
        browsers = []
        for email, _draft in drafts:
            browser = Browser(base)
            browser.login(email, password)
            browsers.append(browser)
        deadline = time.monotonic() + seconds

        def write(browser: Browser, draft: int, n: int) -> None:
            path = f"/requests/{draft}/wizard/facts"
            saves = 0
            while time.monotonic() < deadline:
                saves += 1
                started = time.perf_counter()
                status, _page = browser.form(
                    path,
                    {
                        "facts": f"Writer {n}, save {saves}: the victim reported the fraud.",
                        "nexus": "The accounts named were used to commit the offence.",
                    },
                )
                took = (time.perf_counter() - started) * 1000
                with lock:
                    outcomes["saved" if status in (302, 303) else f"HTTP {status}"] += 1
                    latencies.append(took)

        threads = [
            threading.Thread(target=write, args=(b, d, n))
            for n, (b, (_e, d)) in enumerate(zip(browsers, drafts, strict=True))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    latencies.sort()
    saved = outcomes.pop("saved", 0)
    return {
        "writers": writers,
        "seconds": seconds,
        "saves": saved,
        "saves_per_second": round(saved / seconds, 1),
        "errors": sum(outcomes.values()),
        "error_kinds": dict(outcomes),
        "p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95)], 1) if latencies else None,
        "load_average": machine.load_average(),
    }
