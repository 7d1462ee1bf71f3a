"""Response times of the request list, the dashboard and search with many requests.

Seeds ``count`` requests (``bench.seed``) into a fresh SQLite database, and into a fresh
PostgreSQL database when the server at ``POSTGRES`` answers, then requests each page
repeatedly through the Flask test client (logged in, templates rendered) and reports
the median and 95th percentile in milliseconds.

    python -m bench.pages --count 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pyotp
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.seed import seed
from bench.server import BENCH_DATA_KEYS, with_authenticator
from mlat import create_app
from mlat.config import Config
from mlat.db import make_engine
from mlat.migrate import upgrade

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-" + secrets.token_hex(8)
BUDGET_MS = 50.0


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


@contextmanager
def postgres_database(server: str = POSTGRES) -> Iterator[str]:
    """A new database on the server, dropped afterwards."""
    name = f"mlat_bench_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_dsn(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_dsn(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_answers(server: str = POSTGRES) -> bool:
    try:
        psycopg.connect(_admin_dsn(server), connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


def _post(client: FlaskClient, path: str, data: dict[str, str]) -> int:
    page = client.get(path)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    return client.post(path, data={"csrf_token": token.group(1) if token else "", **data}
                       ).status_code  # fmt: skip


def _login(client: FlaskClient, email: str, totp_secret: str) -> None:
    """Log in with the password, then the authenticator's code (the bench user reviews
    and signs, so two-factor is required)."""
    status = _post(client, "/login", {"email": email, "password": PASSWORD})
    if status == 302:
        status = _post(client, "/login/code", {"code": pyotp.TOTP(totp_secret).now()})
    if status != 302:
        raise RuntimeError(f"could not log in as {email}: {status}")


def _samples(url: str, email: str = "all-roles@doh.bench.example") -> dict[str, str]:
    """Values to search for and filter by, taken from the seeded data, and a request and
    a draft of the user ``email`` to open."""
    engine = make_engine(url)
    with engine.connect() as conn:

        def one(sql: str, **values: str) -> str:
            return str(conn.execute(text(sql), values).scalar())

        found = {
            "reference": one("SELECT reference FROM mla_request ORDER BY id DESC LIMIT 1"),
            "case": one("SELECT case_number FROM mla_request ORDER BY id LIMIT 1"),
            "email": one("SELECT value FROM request_term WHERE value LIKE '%@%' LIMIT 1"),
            "ip": one("SELECT value FROM request_term WHERE value LIKE '198.51.%' LIMIT 1"),
            "phone": one("SELECT value FROM request_term WHERE value LIKE '+9745%' LIMIT 1"),
            "owner": one("SELECT id FROM \"user\" WHERE email LIKE 'officer1@doh.%'"),
            "draft": one(
                'SELECT min(r.id) FROM mla_request r JOIN "user" u ON u.id = r.owner_id '
                "WHERE u.email = :email AND r.status = 'draft'",
                email=email,
            ),
        }
        found["request"] = one(
            "SELECT id FROM mla_request WHERE reference = :ref", ref=found["reference"]
        )
    engine.dispose()
    return found


def pages(sample: dict[str, str], client: FlaskClient) -> dict[str, str]:
    """The pages to time, by name."""
    first = client.get("/")
    after = re.search(r'href="([^"]+)" rel="next"', first.text)
    return {
        "health (the floor)": "/health",
        "list": "/",
        "list, next page": unescape(after.group(1)) if after else "/",
        "list, status in review": "/?status=in_review",
        "list, by reference": "/?sort=reference&order=asc",
        "list, US by state": "/?state=US&sort=state",
        "list, owner's drafts": f"/?owner={sample['owner']}&status=draft",
        "list, common measure": "/?measure=subscriber_info",
        "list, rare measure": "/?measure=interception",
        "list, created in a quarter": "/?date_field=created&date_from=2025-01-01"
        "&date_to=2025-03-31&sort=created",
        "list, overdue": "/?due=overdue",
        "list, preservation lapsing": "/?due=preservation",
        "dashboard": "/dashboard",
        "search, reference": f"/search?q={sample['reference']}",
        "search, case number": f"/search?q={sample['case']}",
        "search, person name prefix": "/search?q=mariam+al",
        "search, e-mail": f"/search?q={sample['email'].upper()}",
        "search, IP address": f"/search?q={sample['ip']}",
        # Full-text: words of titles and facts, part of a name, a phone number written
        # otherwise than stored; common words match tens of thousands of requests.
        "search, two common words": "/search?q=ransomware+hospital",
        "search, part of a name": "/search?q=kuwari",
        "search, phone number": "/search?q="
        + quote(f"{sample['phone'][:4]}-{sample['phone'][4:8]}-{sample['phone'][8:]}"),
        "statistics": "/statistics",
        "request page": f"/requests/{sample['request']}",
        "wizard step (facts)": f"/requests/{sample['draft']}/wizard/facts",
        "wizard step (persons)": f"/requests/{sample['draft']}/wizard/persons",
    }


def measure(client: FlaskClient, url: str, repeats: int) -> dict[str, float]:
    """Wall-clock p50 and p95, and the median CPU time of this process (which includes
    SQLite's work but not PostgreSQL's): on a busy machine the CPU time shows what the
    page costs, the wall clock what a user waits."""
    for _ in range(2):
        client.get(url)  # warm up caches
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
    wall.sort()
    return {
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": round(wall[min(len(wall) - 1, int(len(wall) * 0.95))], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
    }


def seed_database(url: str, *, count: int) -> dict[str, Any]:
    """Migrate and seed; returns the seeding time and the bench user's e-mail."""
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    summary = seed(engine, count=count, password=PASSWORD, today=dt.date.today())
    seconds = round(time.perf_counter() - started, 1)
    engine.dispose()
    return {"requests": count, "seed_seconds": seconds, "email": summary.logins["DOH"]}


def measure_pages(url: str, *, email: str, repeats: int) -> dict[str, Any]:
    """Each page through the Flask test client, one at a time, in this process."""
    with tempfile.TemporaryDirectory() as instance:
        config = Config(database_url=url, secret_key=secrets.token_hex(16),
                        instance_path=Path(instance), data_keys=BENCH_DATA_KEYS)  # fmt: skip
        app = create_app(config)
        client = app.test_client()
        _login(client, email, with_authenticator(url, email))
        timed = {name: measure(client, page, repeats)
                 for name, page in pages(_samples(url, email), client).items()}  # fmt: skip
        # The page keeps a unit's statistics for two minutes; what working them out costs,
        # once per two minutes and worker:
        from mlat.services.stats import StatisticsCache

        app.extensions["mlat_statistics"] = StatisticsCache(seconds=0)
        timed["statistics, worked out afresh"] = measure(client, "/statistics", 5)
        app.extensions["mlat_engine"].dispose()
    return timed


def run_on(url: str, *, count: int, repeats: int) -> dict[str, Any]:
    seeded = seed_database(url, count=count)
    timed = measure_pages(url, email=seeded["email"], repeats=repeats)
    return {"requests": count, "seed_seconds": seeded["seed_seconds"], "pages": timed}


def run(count: int = 100_000, repeats: int = 30, *, postgres: bool = True) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with sqlite_database() as url:
        results["sqlite"] = run_on(url, count=count, repeats=repeats)
    if postgres and postgres_answers():
        with postgres_database() as url:
            results["postgresql"] = run_on(url, count=count, repeats=repeats)
    return results


def report(results: dict[str, Any]) -> None:
    for backend, data in results.items():
        print(f"{backend}: {data['requests']} requests, seeded in {data['seed_seconds']} s")
        for name, row in data["pages"].items():
            flag = "  over budget" if row["p95_ms"] > BUDGET_MS else ""
            print(f"  {name:28} p50 {row['p50_ms']:6.1f} ms  p95 {row['p95_ms']:6.1f} ms  "
                  f"cpu p50 {row['cpu_p50_ms']:6.1f} ms{flag}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    results = run(args.count, args.repeats, postgres=not args.sqlite_only)
    out = Path(__file__).resolve().parent / "results" / "pages.json"
    out.parent.mkdir(exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    stamp = {"date": dt.date.today().isoformat(), "machine": machine,
             "load_average": [round(n, 1) for n in os.getloadavg()]}  # fmt: skip
    out.write_text(json.dumps({**stamp, "results": results}, indent=2) + "\n")
    report(results)


if __name__ == "__main__":
    main()
