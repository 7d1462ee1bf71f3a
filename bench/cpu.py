"""CPU time per page of the request list, the dashboard, search, a request and a wizard
step, one at a time through the Flask test client, next to ``/health`` for the same
logged-in user (the floor: the framework, the session and the user's row), and
optionally a pyinstrument profile of one of them.

    python -m bench.cpu --database-url sqlite:////tmp/bench.sqlite3 --count 20000
    python -m bench.cpu --database-url ... --profile "list" > list.html

The database is migrated and seeded (bench.seed) when it holds no requests yet, so that
runs before and after a change use the same data. CPU time (``time.process_time``) is
this process's: the app, the templates and SQLite's work (not a PostgreSQL server's);
on a shared machine it varies much less than the wall clock.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from bench.pages import PASSWORD, _login, _samples
from bench.pages import pages as bench_pages
from bench.seed import seed
from bench.server import BENCH_DATA_KEYS, with_authenticator
from mlat import create_app
from mlat.config import Config
from mlat.db import make_engine
from mlat.migrate import upgrade
from mlat.models import MlaRequest, User
from mlat.services.users import hash_password

EMAIL = "all-roles@doh.bench.example"


def prepare(url: str, count: int) -> None:
    """Seed ``count`` requests unless the database has requests; set the bench password."""
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        present = session.execute(select(func.count()).select_from(MlaRequest)).scalar_one()
    if not present:
        seed(engine, count=count, password=PASSWORD)
    else:
        with Session(engine) as session:
            session.execute(
                update(User)
                .where(col(User.email).endswith(".bench.example"))
                .values(password_hash=hash_password(PASSWORD))
            )
            session.commit()
    engine.dispose()


CPU_PAGES = (
    "health (the floor)",
    "list",
    "list, US by state",
    "list, status in review",
    "list, created in a quarter",
    "dashboard",
    "search, reference",
    "search, person name prefix",
    "search, two common words",
    "search, part of a name",
    "statistics",
    "request page",
    "wizard step (facts)",
    "wizard step (persons)",
)
"""the pages timed here, of those bench.pages times"""


def pages(url: str, client: FlaskClient) -> dict[str, str]:
    every = bench_pages(_samples(url, EMAIL), client)
    return {name: every[name] for name in CPU_PAGES}


def cpu_ms(client: FlaskClient, path: str, repeats: int) -> tuple[float, float]:
    """Median and mean CPU milliseconds of ``repeats`` requests, after two to warm up."""
    for _ in range(2):
        client.get(path)
    spent = []
    for _ in range(repeats):
        start = time.process_time()
        response = client.get(path)
        spent.append((time.process_time() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    return statistics.median(spent), statistics.fmean(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--profile", help="the page to profile (by name) instead of timing")
    args = parser.parse_args()
    prepare(args.database_url, args.count)
    with tempfile.TemporaryDirectory() as instance:
        config = Config(
            database_url=args.database_url,
            secret_key=secrets.token_hex(16),
            instance_path=Path(instance),
            data_keys=BENCH_DATA_KEYS,
        )
        app = create_app(config)
        client = app.test_client()
        _login(client, EMAIL, with_authenticator(args.database_url, EMAIL))
        chosen = pages(args.database_url, client)
        if args.profile:
            from pyinstrument import Profiler

            path = chosen[args.profile]
            client.get(path)
            with Profiler(interval=0.0005) as profiler:
                for _ in range(args.repeats):
                    client.get(path)
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            return
        for name, path in chosen.items():
            median, mean = cpu_ms(client, path, args.repeats)
            print(f"{name:28} CPU median {median:6.2f} ms  mean {mean:6.2f} ms", flush=True)
        app.extensions["mlat_engine"].dispose()


if __name__ == "__main__":
    main()
