"""Reference numbers: UNIT-YEAR-NNNN, sequential per unit and year, never repeated."""

from __future__ import annotations

import datetime as dt
import re
import threading

from flask import Flask
from sqlmodel import Session, select

from mlat.models import MlaRequest, Role, Unit, User
from mlat.services.requests import create_request, next_reference
from tests.conftest import MakeRequest, MakeUnit, MakeUser

YEAR = dt.date.today().year


def test_references_count_up_per_unit_and_year(
    db: Session, unit: Unit, make_request: MakeRequest, make_user: MakeUser
) -> None:
    officer = make_user(Role.officer)
    references = [make_request(officer).reference for _ in range(3)]
    assert references == [f"DOH-{YEAR}-0001", f"DOH-{YEAR}-0002", f"DOH-{YEAR}-0003"]


def test_next_reference_directly(db: Session, unit: Unit) -> None:
    assert next_reference(session=db, unit=unit, year=2031) == "DOH-2031-0001"
    assert next_reference(session=db, unit=unit, year=2031) == "DOH-2031-0002"
    db.commit()
    assert next_reference(session=db, unit=unit, year=2031) == "DOH-2031-0003"


def test_each_unit_has_its_own_sequence(
    db: Session,
    make_unit: MakeUnit,
    make_user: MakeUser,
    make_request: MakeRequest,
) -> None:
    doha = make_user(Role.officer)
    lagos = make_user(Role.officer, unit_=make_unit(name="Lagos", code="LOS", state="NG"))
    assert make_request(doha).reference == f"DOH-{YEAR}-0001"
    assert make_request(doha).reference == f"DOH-{YEAR}-0002"
    assert make_request(lagos).reference == f"LOS-{YEAR}-0001"
    assert make_request(doha).reference == f"DOH-{YEAR}-0003"
    assert make_request(lagos).reference == f"LOS-{YEAR}-0002"


def test_officers_of_a_unit_share_one_sequence(
    make_user: MakeUser, make_request: MakeRequest
) -> None:
    first, second = make_user(Role.officer), make_user(Role.officer)
    assert make_request(first).reference == f"DOH-{YEAR}-0001"
    assert make_request(second).reference == f"DOH-{YEAR}-0002"


def test_numbering_restarts_in_a_new_year(db: Session, make_user: MakeUser) -> None:
    officer = make_user(Role.officer)

    def create(day: dt.date) -> str:
        request = create_request(
            session=db, owner=officer, title="Case", requested_state="US", today=day
        )
        db.commit()
        return request.reference

    assert create(dt.date(2026, 12, 30)) == "DOH-2026-0001"
    assert create(dt.date(2026, 12, 31)) == "DOH-2026-0002"
    assert create(dt.date(2027, 1, 1)) == "DOH-2027-0001"
    assert create(dt.date(2027, 1, 2)) == "DOH-2027-0002"
    # a request dated in the old year (e.g. a late correction) continues that year's count
    assert create(dt.date(2026, 12, 31)) == "DOH-2026-0003"


def test_many_creations_give_unique_gapless_references(db: Session, make_user: MakeUser) -> None:
    officer = make_user(Role.officer)
    for _ in range(60):
        create_request(session=db, owner=officer, title="Case", requested_state="US")
    db.commit()
    references = db.exec(select(MlaRequest.reference)).all()
    assert sorted(references) == [f"DOH-{YEAR}-{n:04d}" for n in range(1, 61)]


def test_rolled_back_creation_does_not_burn_a_number(
    db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer = make_user(Role.officer)
    create_request(session=db, owner=officer, title="Abandoned", requested_state="US")
    db.rollback()
    assert make_request(officer).reference == f"DOH-{YEAR}-0001"


def test_concurrent_creations_never_share_a_reference(
    app: Flask, make_user: MakeUser, make_unit: MakeUnit
) -> None:
    """Officers saving at the same moment, each with their own database session."""
    doha = make_user(Role.officer)
    other = make_user(Role.officer, unit_=make_unit(code="OTH"))
    engine = app.extensions["mlat_engine"]
    threads_per_unit, per_thread = 4, 5
    start = threading.Barrier(threads_per_unit * 2)
    errors: list[BaseException] = []

    def work(owner_id: int) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(per_thread):
                with Session(engine) as session:
                    owner = session.get(User, owner_id)
                    assert owner is not None
                    create_request(session=session, owner=owner, title="x", requested_state="US")
                    session.commit()
        except BaseException as exc:
            errors.append(exc)

    assert doha.id is not None and other.id is not None
    threads = [
        threading.Thread(target=work, args=(owner_id,))
        for owner_id in [doha.id, other.id] * threads_per_unit
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []

    with Session(engine) as session:
        references = session.exec(select(MlaRequest.reference)).all()
    count = threads_per_unit * per_thread
    for code in ("DOH", "OTH"):
        ours = sorted(r for r in references if r.startswith(code))
        assert ours == [f"{code}-{YEAR}-{n:04d}" for n in range(1, count + 1)]
    assert all(re.fullmatch(r"[A-Z]{2,8}-\d{4}-\d{4}", r) for r in references)
