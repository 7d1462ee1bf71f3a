"""Pages served by gunicorn under concurrent clients, next to a minimal Flask app served
the same way in the same run, and downloads of a stored packet.

    python -m bench.http --database-url URL   (a database seeded by bench.seed)
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from bench import machine
from bench.server import Browser, bench_engine, gunicorn, load, with_authenticator
from mlat.db import make_engine
from mlat.models import MlaRequest, Packet, User
from mlat.services.packets import store_signed_packet

CONNECTIONS = 20


def _samples(database_url: str, email: str) -> dict[str, str]:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        reference = conn.execute(
            text("SELECT reference FROM mla_request ORDER BY id DESC LIMIT 1")
        ).scalar()
    engine.dispose()
    return {"reference": str(reference), "email": email}


def stored_packet_request(database_url: str, email: str) -> int:
    """A signed request of the user's unit with its packet stored (rendered here once)."""
    from bench.packets import BENCH_KEYS, signed_typical_pdf

    engine = bench_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        request = session.exec(
            select(MlaRequest)
            .where(
                MlaRequest.unit_id == user.unit_id,
                MlaRequest.signed_at.is_not(None),  # type: ignore[union-attr]
            )
            .limit(1)
        ).one()
        if session.exec(select(Packet).where(Packet.request_id == request.id)).first() is None:
            store_signed_packet(session=session, request=request, keys=BENCH_KEYS,
                                pdf=signed_typical_pdf(), signed=True)  # fmt: skip
            session.commit()
        assert request.id is not None
        request_id = request.id
    engine.dispose()
    return request_id


def run(database_url: str, *, email: str, password: str, seconds: int = 10) -> dict[str, Any]:
    """Each page under ``CONNECTIONS`` concurrent clients for ``seconds``."""
    sample = _samples(database_url, email)
    packet_request = stored_packet_request(database_url, email)
    pages = {
        "request list": "/",
        "dashboard": "/dashboard",
        "search (reference)": f"/search?q={sample['reference']}",
        "search (person name)": "/search?q=mariam+al",
        "mlat /health": "/health",
    }
    results: dict[str, Any] = {}
    with gunicorn(database_url) as base:
        browser = Browser(base)
        browser.login(email, password, with_authenticator(database_url, email))
        cookie = browser.cookie_header()
        for name, path in pages.items():
            results[name] = {
                **load(base + path, cookie=cookie, connections=CONNECTIONS, seconds=seconds),
                "load_average": machine.load_average(),
            }
        download = f"{base}/requests/{packet_request}/packet.pdf"
        for clients in (1, CONNECTIONS):
            results[f"stored packet download, {clients} client(s)"] = {
                **load(download, cookie=cookie, connections=clients, seconds=seconds),
                "load_average": machine.load_average(),
            }
    with gunicorn(database_url, app="bench.minimal_app:app") as base:
        results["minimal Flask app"] = {
            **load(base + "/", connections=CONNECTIONS, seconds=seconds),
            "load_average": machine.load_average(),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--email", default="all-roles@doh.bench.example")
    parser.add_argument("--password", required=True)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    print(
        json.dumps(
            run(args.database_url, email=args.email, password=args.password, seconds=args.seconds),
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
