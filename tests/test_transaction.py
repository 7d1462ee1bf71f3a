"""One transaction per request: what a view's block writes is committed when it ends, and
nothing of it remains when a service refuses; the refusal is said, and the page shown
again keeps what the user typed."""

from __future__ import annotations

import pytest
from flask import Flask, get_flashed_messages
from sqlmodel import Session, select

from mlat.db import get_session
from mlat.models import MlaRequest, Role, Unit
from mlat.services import Conflict, ServiceError
from mlat.services.users import create_unit
from mlat.views.transaction import attempt
from tests.conftest import LoginAs, MakeRequest, MakeUser, PageClient, field_value, flashes


def unit_codes(db: Session) -> list[str]:
    db.expire_all()
    return sorted(db.exec(select(Unit.code)))


def add_unit(code: str) -> Unit:
    return create_unit(session=get_session(), name=f"Unit {code}", code=code, state="QA",
                       timezone="Asia/Qatar")  # fmt: skip


def test_what_the_block_writes_is_committed(app: Flask, db: Session) -> None:
    with app.test_request_context("/"):
        with attempt() as done:
            add_unit("LAG")
        assert done
        assert done.error is None
        assert get_flashed_messages() == []
    assert unit_codes(db) == ["LAG"]


def test_a_refusal_rolls_back_everything_the_block_wrote_and_is_said(
    app: Flask, db: Session
) -> None:
    with app.test_request_context("/"):
        with attempt() as done:
            add_unit("LAG")
            add_unit("ACC")
            raise ServiceError("The units are refused.")
        assert not done
        assert isinstance(done.error, ServiceError)
        assert get_flashed_messages(with_categories=True) == [("error", "The units are refused.")]
    assert unit_codes(db) == []  # neither unit: no partial write


def test_a_refusal_shown_by_a_field_is_not_flashed(app: Flask) -> None:
    with app.test_request_context("/"):
        with attempt(flash_error=False) as done:
            raise Conflict("Changed meanwhile.")
        assert isinstance(done.error, Conflict)
        assert get_flashed_messages() == []


def test_a_refusal_shows_the_object_as_it_now_is(
    app: Flask, db: Session, make_request: MakeRequest, make_user: MakeUser
) -> None:
    request = make_request(make_user(Role.officer))
    with app.test_request_context("/"):
        shown = get_session().get(MlaRequest, request.id)
        assert shown is not None
        request.title = "Changed by a colleague"
        db.add(request)
        db.commit()
        with attempt(refresh=shown):
            shown.title = "Typed by the user"
            raise Conflict("Changed meanwhile.")
        assert shown.title == "Changed by a colleague"


def test_other_errors_are_not_caught(app: Flask, db: Session) -> None:
    with app.test_request_context("/"), pytest.raises(RuntimeError), attempt():
        add_unit("LAG")
        raise RuntimeError("a bug")


def test_a_refused_form_is_shown_again_with_the_input_and_nothing_is_saved(
    client_request: PageClient, db: Session, login_as: LoginAs
) -> None:
    login_as(Role.installation_admin)
    form = {"name": "Economic Crime Unit, Lagos", "code": "LAG", "state": "NG",
            "timezone": "Africa/Lagos"}  # fmt: skip
    client_request.post_redirect("/admin/units/new", form)
    before = unit_codes(db)

    again = client_request.post("/admin/units/new", {**form, "code": "LAGOS"})

    assert flashes(again) == ["A unit with this name or code already exists."]
    assert field_value(again, "code") == "LAGOS"
    assert field_value(again, "name") == "Economic Crime Unit, Lagos"
    assert unit_codes(db) == before
