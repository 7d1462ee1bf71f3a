"""The open-loop load: officers clicking through the app at a fixed arrival rate, served
by gunicorn, or by two gunicorn instances behind nginx on one address.

    python -m bench.load --database-url URL          (a database seeded by bench.seed)
    python -m bench.load --database-url URL --instances 2

Each simulated officer (bench.officers, run by Locust) logs in, then goes round the
dashboard, the list, a request, the facts step of a draft of their own and a save, the
persons step, a search and the statistics, with an exponential think time of
THINK_SECONDS between clicks counted from the start of the previous one. So N officers
make N / THINK_SECONDS page views a second whatever the server's speed: 200 officers make
40 views a second. The rates step up (20, 40, 80 views a second, then on) until the
p95 of all pages passes 200 ms, the unit's ceiling on this machine; at each rate the
figures are taken over ``seconds`` once every officer is logged in and the pages warm.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import text

from bench import machine
from bench.server import free_port, gunicorn
from bench.writers import officers_drafts
from mlat.db import make_engine

THINK_SECONDS = 5.0
RATES = (20, 40, 80, 120, 160, 200, 240)
QUICK_RATES = (20, 40, 80)
CEILING_MS = 200.0
"""the p95 of all pages past which a rate is past the unit's ceiling: the load stops"""
SPAWN_RATE = 5
"""officers logging in a second while the load steps up (each login checks an argon2
hash, about 140 ms of CPU)"""


def _plan(database_url: str, *, users: int) -> dict[str, Any]:
    """The accounts (each simulated officer with a draft of their own), and the requests
    and searches they open, from the seeded data of the unit DOH."""
    drafts = officers_drafts(database_url, unit="DOH")
    engine = make_engine(database_url)
    with engine.connect() as conn:
        requests = conn.execute(
            text(
                "SELECT r.id FROM mla_request r JOIN unit ON unit.id = r.unit_id "
                "WHERE unit.code = 'DOH' ORDER BY r.id DESC LIMIT 400"
            )
        ).scalars()
        references = conn.execute(
            text("SELECT reference, case_number FROM mla_request ORDER BY id DESC LIMIT 5")
        ).all()
        identifiers = conn.execute(
            text("SELECT value FROM request_term WHERE kind <> 'name' ORDER BY id LIMIT 5")
        ).scalars()
        request_ids = [int(x) for x in requests]
        words = [str(x) for x in identifiers]
    engine.dispose()
    if len(drafts) < users:
        raise RuntimeError(f"{len(drafts)} drafts for {users} officers: seed more requests")
    searches = [
        *(str(ref) for ref, _case in references),
        *(str(case) for _ref, case in references),
        *words,
        "kuwari",
        "mariam al",
        "ransomware hospital",
        "business e-mail compromise",
        "investment fraud",
    ]
    return {
        "accounts": [{"email": e, "draft": d} for e, d in drafts[:users]],
        "requests": request_ids,
        "searches": [quote_plus(s) for s in searches],
    }


def _locust(plan: dict[str, Any]) -> list[dict[str, Any]]:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(plan, file)
        file.flush()
        done = subprocess.run(
            [sys.executable, "-m", "bench.officers", file.name],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"the load stopped: {done.stderr[-3000:]}")
    stages: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return stages


NGINX_CONF = """\
worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {home}/body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;
    upstream mlat {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://mlat;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@contextmanager
def nginx(upstreams: Sequence[str]) -> Iterator[str]:
    """nginx on a free port in front of ``upstreams`` (base URLs), round robin, as in
    docs/deploy.md; yields its base URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        servers = "\n".join(f"        server {u.removeprefix('http://')};" for u in upstreams)
        conf = Path(home) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(home=home, servers=servers, port=port))
        process = subprocess.Popen(
            [binary, "-p", home, "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextmanager
def served(database_url: str, instances: int) -> Iterator[str]:
    """One gunicorn, or ``instances`` of them behind nginx on one address."""
    with ExitStack() as stack:
        if instances == 1:
            yield stack.enter_context(gunicorn(database_url))
            return
        settings = {"MLAT_PROXY_FIX": "1"}
        bases = [
            stack.enter_context(gunicorn(database_url, env=settings)) for _ in range(instances)
        ]
        yield stack.enter_context(nginx(bases))


def nginx_available() -> bool:
    return bool(shutil.which("nginx") or Path("/usr/sbin/nginx").exists())


def run(
    database_url: str,
    *,
    password: str,
    rates: Sequence[int] = RATES,
    seconds: int = 30,
    warm_up_seconds: int = 5,
    instances: int = 1,
) -> dict[str, Any]:
    users = round(max(rates) * THINK_SECONDS)
    plan = {
        **_plan(database_url, users=users),
        "password": password,
        "think_seconds": THINK_SECONDS,
        "rates": list(rates),
        "seconds": seconds,
        "warm_up_seconds": warm_up_seconds,
        "spawn_rate": SPAWN_RATE,
        "ceiling_ms": CEILING_MS,
    }
    with served(database_url, instances) as base:
        stages = _locust({**plan, "base": base})
    over = [s["rate"] for s in stages if s["all"]["p95_ms"] > CEILING_MS]
    return {
        "instances": instances,
        "workers_per_instance": int(os.environ.get("MLAT_WORKERS", 2 * (os.cpu_count() or 1) + 1)),
        "think_seconds": THINK_SECONDS,
        "seconds": seconds,
        "stages": stages,
        "ceiling_views_per_second": over[0] if over else None,
        "load_average": machine.load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--rate", type=int, action="append", help="views a second (repeatable)")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--instances", type=int, default=1)
    args = parser.parse_args()
    found = run(
        args.database_url,
        password=args.password,
        rates=args.rate or RATES,
        seconds=args.seconds,
        instances=args.instances,
    )
    print(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
