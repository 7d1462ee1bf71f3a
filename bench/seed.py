"""Fill a database with many realistic requests, for benchmarks and demonstrations.

    python -m bench.seed --count 100000 --database-url sqlite:///instance/bench.sqlite3

The database is migrated first. Requests vary in requested state, status, dates,
measures, persons and identifiers (some identifiers recur, so related requests exist);
their searchable terms, editors and reference counters are written as the app would.
Rows go in with Core ``INSERT``s in batches, not through the ORM one by one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlmodel import col

from mlat.content import digest, normalise_identifier, normalise_name
from mlat.db import make_engine
from mlat.migrate import upgrade
from mlat.models import (
    MlaRequest,
    Notification,
    ReferenceCounter,
    RequestEditor,
    RequestTerm,
    Role,
    Unit,
    User,
    UserRole,
)
from mlat.request_format import MeasureKind
from mlat.rules.loader import rulebook
from mlat.search_text import document, fields_of
from mlat.services.search_index import write_many
from mlat.services.users import hash_password

UNITS = [  # code, name, state, time zone, share of the requests
    ("DOH", "Cybercrime Unit, Doha", "QA", "Asia/Qatar", 0.9),
    ("LOS", "Economic Crime Unit, Lagos", "NG", "Africa/Lagos", 0.1),
]
STAFF = [(Role.officer, 8), (Role.reviewer, 3), (Role.prosecutor, 2)]
STATES = ["US"] * 30 + ["GB"] * 15 + ["IE"] * 8 + ["NL"] * 8 + ["DE"] * 6 + ["FR"] * 6 + [
    "SG", "SG", "AE", "AE", "IN", "IN", "JP", "CA", "CA", "AU", "BR", "QA", "NG",
]  # fmt: skip
# status, weight, how far such a request got: 0 drafted, 1 submitted, 2 approved, 3 signed,
# 4 transmitted, 5 executed (None: it varies)
STATUSES = [
    ("draft", 14, 0), ("in_review", 8, 1), ("returned", 4, 1), ("approved", 4, 2),
    ("signed", 3, 3), ("transmitted", 20, 4), ("acknowledged", 10, 4),
    ("partially_executed", 5, 4), ("executed", 20, 5), ("refused", 3, 4),
    ("withdrawn", 3, None), ("closed", 6, None),
]  # fmt: skip
OFFENCES = [
    ("Fraud by means of an information system", "Law No. 14 of 2014, art. 11"),
    ("Illegal access to an information system", "Law No. 14 of 2014, art. 2"),
    ("Extortion through an information network", "Law No. 14 of 2014, art. 9"),
    ("Money laundering", "Law No. 20 of 2019, art. 2"),
]
TITLES = [
    "Business e-mail compromise of a {who}", "Ransomware attack on a {who}",
    "Investment fraud targeting a {who}", "Sextortion of a {who}", "Phishing of a {who}",
    "Account takeover at a {who}", "Romance fraud against a {who}",
]  # fmt: skip
WHO = ["Doha importer", "hospital", "bank's customers", "ministry", "school", "retailer"]
GIVEN = ["Mariam", "Khalid", "Noora", "Yusuf", "Adaeze", "John", "Li", "Aisha", "Omar", "Sara"]
FAMILY = ["Al-Kuwari", "Al-Thani", "Haddad", "Okafor", "Smith", "Chen", "Rahman", "Silva"]
MEASURES = [m.value for m in MeasureKind]
MEASURE_WEIGHTS = [6, 10, 8, 7, 1, 1, 1, 1, 1, 2, 1, 1]
BATCH = 2000
SPAN = dt.timedelta(days=3 * 365)


@dataclass(frozen=True)
class SeedSummary:
    requests: int
    password: str
    logins: dict[str, str]
    """unit code -> e-mail of a user who holds every role but admin, for benchmarks."""


def _identifier(rng: random.Random, n: int) -> dict[str, Any]:
    """An identifier from a pool of ``n`` per kind, so that some recur across requests."""
    kind = rng.choice(["email", "email", "ip", "ip", "phone", "account", "domain"])
    i = rng.randrange(n)
    value = {
        "email": f"user{i}@mail{i % 97}.example",
        "ip": f"198.51.{i % 256}.{(i // 256) % 256}",
        "phone": f"+974 5{i:07d}",
        "account": f"@handle_{i}",
        "domain": f"shop{i}.example",
    }[kind]
    observed = "2026-03-09T10:14:22+03:00" if kind == "ip" else None
    return {"kind": kind, "value": value, "observed_at": observed, "provider": "Mailhost Inc."}


def _content(rng: random.Random, case: str, created: dt.date, pool: int) -> dict[str, Any]:
    offence = rng.choice(OFFENCES)
    identifiers = [_identifier(rng, pool) for _ in range(rng.randint(1, 3))]
    kinds = rng.sample(MEASURES, k=rng.randint(1, 3), counts=MEASURE_WEIGHTS)
    persons = [
        {"role": rng.choice(["suspect", "victim", "witness"]), "name": f"{g} {f}",
         "date_of_birth": None, "nationality": None}
        for g, f in ((rng.choice(GIVEN), rng.choice(FAMILY)) for _ in range(rng.randint(1, 3)))
    ]  # fmt: skip
    return {
        "format_version": 1, "status": "new", "language": "en", "translations": [],
        "requesting_authority": {"name": "Public Prosecution", "office": "Cybercrime Office",
            "address": "Doha", "contact_person": "Duty prosecutor", "phone": "+974 4000 0000",
            "email": "cyber@pp.example.qa", "timezone": "Asia/Qatar", "office_hours": "07-14"},
        "legal_basis": "untoc", "channel": "central_authority",
        "proceedings": {"type": "investigation", "case_number": case, "authority": "Prosecutor"},
        "offences": [{"name": offence[0], "citation": offence[1], "max_penalty_years": 3,
                      "death_penalty_possible": False, "equivalent_offence": ""}],
        "facts": f"On {created.isoformat()} the victim reported {offence[0].lower()}.",
        "nexus": "The accounts named below were used to commit the offence.",
        "related_requests": [], "persons": persons, "identifiers": identifiers,
        "measures": [{"kind": k, "identifiers": [0], "date_from": None, "date_to": None,
                      "details": ""} for k in kinds],
        "urgency": {"urgent": False, "reason": "", "deadline": None},
        "preservation": {"requested": False, "reference": "", "requested_on": None,
                         "expires_on": None},
        "confidentiality": {"non_disclosure": True, "reason": "The suspect is unaware."},
        "assurances": [], "procedures": "", "annexes": [],
        "signatory": {"name": "", "title": ""},
    }  # fmt: skip


@dataclass(frozen=True)
class Staff:
    unit_id: int
    officers: list[int]
    all_roles: int
    """A user with every role but admin: owns requests and logs in for benchmarks."""


def _get_or_add(conn: Connection, table: Any, key: Any, values: dict[str, Any]) -> int:
    """The id of the row ``key`` finds, inserting ``values`` when there is none."""
    found = conn.execute(select(table.id).where(key)).scalar()
    if found is None:
        roles = values.pop("roles", [])
        found = conn.execute(insert(table).values(**values).returning(table.id)).scalar_one()
        if roles:  # a user
            conn.execute(insert(UserRole), [{"user_id": found, "role": r} for r in roles])
    return int(found)


def _staff(conn: Connection, password_hash: str) -> dict[str, Staff]:
    """The units and their users (``officer1@doh.bench.example``...), created unless there."""
    found = {}
    for code, name, state, zone, _share in UNITS:
        unit = {"name": name, "code": code, "state": state, "timezone": zone}
        unit_id = _get_or_add(conn, Unit, col(Unit.code) == code, unit)
        people = [(f"{r.value}{i}", [r]) for r, n in STAFF for i in range(1, n + 1)]
        ids = {}
        for handle, roles in [*people, ("all-roles", [r for r, _n in STAFF])]:
            email = f"{handle}@{code.lower()}.bench.example"
            user = {"email": email, "name": f"{handle} ({code})", "unit_id": unit_id,
                    "password_hash": password_hash, "roles": roles}  # fmt: skip
            ids[handle] = _get_or_add(conn, User, col(User.email) == email, user)
        officers = [i for handle, i in ids.items() if handle.startswith("officer")]
        found[code] = Staff(unit_id, officers, ids["all-roles"])
    return found


def _timeline(rng: random.Random, row: dict[str, Any], stage: int, now: dt.datetime) -> None:
    """Set the workflow columns of a request that got as far as ``stage``."""
    at: dt.datetime = row["created_at"]
    for column, needed, most in (("submitted_at", 1, 20), ("approved_at", 2, 30),
                                 ("signed_at", 3, 10)):  # fmt: skip
        if stage >= needed:
            at = min(at + dt.timedelta(hours=rng.randint(2, most * 24)), now)
            row[column] = at
    if stage >= 4:
        row["transmitted_on"] = min(at + dt.timedelta(days=rng.randint(0, 5)), now).date()
        row["transmission_channel"] = "central_authority"
    if stage >= 5:
        typical = row.pop("_typical")
        took = max(1, int(rng.gauss(typical, typical / 3)))
        row["executed_on"] = min(row["transmitted_on"] + dt.timedelta(days=took), now.date())
    row.pop("_typical", None)
    row["updated_at"] = min(at + dt.timedelta(hours=rng.randint(0, 72)), now)


def _requests(
    rng: random.Random,
    count: int,
    today: dt.date,
    staff: dict[str, Staff],
    counters: dict[tuple[str, int], int],
    first_id: int,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
    """(request row, its terms, its editors), one request at a time. ``counters`` holds the
    last reference number per (unit code, year) and is raised as references are used."""
    book = rulebook()
    weights = [weight for _status, weight, _stage in STATUSES]
    codes, shares = [u[0] for u in UNITS], [u[4] for u in UNITS]
    pool = max(count // 3, 50)
    now = dt.datetime.combine(today, dt.time(12), dt.UTC)
    for n in range(count):
        code = rng.choices(codes, shares)[0]
        unit_id = staff[code].unit_id
        owner = rng.choice([*staff[code].officers, staff[code].all_roles])
        state = rng.choice(STATES)
        status, _weight, stage = rng.choices(STATUSES, weights)[0]
        if stage is None:  # withdrawn at any point; closed after execution or refusal
            stage = rng.randint(0, 4) if status == "withdrawn" else rng.choice([5, 5, 5, 4])
        # Spread over three years, in the order of the ids (and so of the references).
        created = now - SPAN + SPAN * ((n + rng.random()) / count)
        counters[(code, created.year)] = number = counters.get((code, created.year), 0) + 1
        case = f"CYB/{created.year}/{rng.randrange(100000):05d}"
        content = _content(rng, case, created.date(), pool)
        table = book.states[state]
        row: dict[str, Any] = {
            "id": first_id + n, "reference": f"{code}-{created.year}-{number:04d}",
            "unit_id": unit_id, "owner_id": owner, "requested_state": state, "status": status,
            "case_number": case, "title": rng.choice(TITLES).format(who=rng.choice(WHO)),
            "created_at": created, "submitted_at": None, "approved_at": None, "signed_at": None,
            "transmitted_on": None, "executed_on": None, "deadline": None,
            "preservation_expires_on": None, "transmission_channel": "", "version": 1,
            "foreign_reference": "", "approved_digest": None,
            "_typical": table.execution.typical_days or 240,
        }  # fmt: skip
        _timeline(rng, row, stage, now)
        if rng.random() < 0.2:
            row["deadline"] = created.date() + dt.timedelta(days=rng.randint(10, 120))
            content["urgency"] = {"urgent": True, "reason": "Data may be deleted.",
                                  "deadline": row["deadline"].isoformat()}  # fmt: skip
        if rng.random() < 0.3:
            days = table.preservation.initial_days or 90
            requested_on = created.date() - dt.timedelta(days=rng.randint(0, 10))
            if rng.random() < 0.1:  # some lapse soon, to fill the dashboard
                requested_on = today - dt.timedelta(days=days - rng.randint(0, 20))
            row["preservation_expires_on"] = expires = requested_on + dt.timedelta(days=days)
            content["preservation"] = {"requested": True, "reference": f"PRES-{first_id + n}",
                                       "requested_on": requested_on.isoformat(),
                                       "expires_on": expires.isoformat()}  # fmt: skip
        row["content"] = content
        row["content_digest"] = digest(title=row["title"], requested_state=state, content=content)
        terms = {("identifier", normalise_identifier(i["kind"], i["value"]))
                 for i in content["identifiers"]}  # fmt: skip
        terms |= {("person", normalise_name(p["name"])) for p in content["persons"]}
        terms |= {("measure", m["kind"]) for m in content["measures"]}
        yield (
            row,
            [{"request_id": row["id"], "kind": k, "value": v} for k, v in sorted(terms)],
            [{"request_id": row["id"], "user_id": owner}],
        )


def seed(
    engine: Engine, *, count: int, password: str, today: dt.date | None = None, seed: int = 1
) -> SeedSummary:
    """Insert ``count`` requests (and the units and users they need) into a migrated
    database. The seeded users' password is set to ``password``."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    with engine.begin() as conn:
        password_hash = hash_password(password)
        staff = _staff(conn, password_hash)
        conn.execute(update(User).where(col(User.email).endswith(".bench.example"))
                     .values(password_hash=password_hash))  # fmt: skip
        first_id = (conn.execute(select(func.max(col(MlaRequest.id)))).scalar() or 0) + 1
        counters = _load_counters(conn, staff)
        batch: list[tuple[dict[str, Any], list[Any], list[Any]]] = []
        for item in _requests(rng, count, today, staff, counters, first_id):
            batch.append(item)
            if len(batch) == BATCH or item[0]["id"] == first_id + count - 1:
                for table, rows in (
                    (MlaRequest, [r for r, _t, _e in batch]),
                    (RequestTerm, [t for _r, ts, _e in batch for t in ts]),
                    (RequestEditor, [e for _r, _t, es in batch for e in es]),
                ):
                    conn.execute(insert(table), rows)  # fmt: skip
                documents = {
                    r["id"]: document(fields_of(title=r["title"], reference=r["reference"],
                                                content=r["content"]), unit_id=r["unit_id"])
                    for r, _t, _e in batch
                }  # fmt: skip
                write_many(conn, documents, postgres=conn.dialect.name == "postgresql")
                batch.clear()
        _save_counters(conn, staff, counters)
        bench_user = staff[UNITS[0][0]].all_roles
        mine = conn.execute(
            select(col(MlaRequest.id)).where(col(MlaRequest.owner_id) == bench_user).limit(30)
        ).scalars()
        notes = [{"user_id": bench_user, "request_id": rid, "kind": "returned"} for rid in mine]
        if notes:
            conn.execute(insert(Notification), notes)
        if conn.dialect.name == "postgresql":  # the ids were given explicitly
            conn.execute(text("SELECT setval(pg_get_serial_sequence('mla_request', 'id'), "
                              "(SELECT max(id) FROM mla_request))"))  # fmt: skip
    # Fresh statistics for the planner, and on PostgreSQL a visibility map, so that
    # index-only scans work as they do on a database that has been running a while.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    logins = {code: f"all-roles@{code.lower()}.bench.example" for code, *_ in UNITS}
    return SeedSummary(count, password, logins)


def _load_counters(conn: Connection, staff: dict[str, Staff]) -> dict[tuple[str, int], int]:
    """The last reference number used per (unit code, year)."""
    codes = {member.unit_id: code for code, member in staff.items()}
    rows = conn.execute(select(col(ReferenceCounter.unit_id), col(ReferenceCounter.year),
                               col(ReferenceCounter.last)))  # fmt: skip
    return {(codes[unit], year): last for unit, year, last in rows if unit in codes}


def _save_counters(
    conn: Connection, staff: dict[str, Staff], counters: dict[tuple[str, int], int]
) -> None:
    """Raise each unit's reference counters past the references just used."""
    for (code, year), last in counters.items():
        unit_id = staff[code].unit_id
        key = (col(ReferenceCounter.unit_id) == unit_id) & (col(ReferenceCounter.year) == year)
        if conn.execute(select(col(ReferenceCounter.last)).where(key)).scalar() is None:
            conn.execute(insert(ReferenceCounter).values(unit_id=unit_id, year=year, last=last))
        else:
            conn.execute(update(ReferenceCounter).where(key).values(last=last))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--password", default="", help="for the seeded users (default: random)")
    parser.add_argument("--seed", type=int, default=1, help="random seed, for repeatable data")
    args = parser.parse_args()
    engine = make_engine(args.database_url)
    upgrade(engine)
    summary = seed(engine, count=args.count, password=args.password or secrets.token_urlsafe(12),
                   seed=args.seed)  # fmt: skip
    engine.dispose()
    print(f"{summary.requests} requests added.")
    for code, email in summary.logins.items():
        print(f"{code}: log in as {email} with password {summary.password}")


if __name__ == "__main__":
    main()
