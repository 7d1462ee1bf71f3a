"""Fuzzing the forms of log-in, two-factor codes and administration: no 500, no redirect
off the site, and a refused form changes no user, unit or authenticator."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from mlat.models import Role, Unit, User
from tests.conftest import (
    PASSWORD,
    Client,
    MakeUnit,
    MakeUser,
    check_page,
    flashes,
    form_errors,
)
from tests.fuzz.form_fields import (
    CSRF,
    count,
    fields_for,
    no_error,
    page_form,
    post,
    saved,
    token_of,
    with_defaults,
)
from tests.fuzz.strategies import TEXT, fuzz

# ------------------------------------------------------------------ log-in


@fuzz(40)
@given(data=st.data())
def test_login_form(client: Client, someone: User, data: st.DataObject) -> None:
    form = [("email", someone.email), ("password", PASSWORD)]
    pairs = fields_for(data, form)
    query = data.draw(st.lists(st.tuples(st.sampled_from(["next", "x"]), TEXT), max_size=2))
    token = token_of(client, "/login")
    response = client.post(
        "/login", query_string=query, data=MultiDict([*pairs, ("csrf_token", token)])
    )
    no_error(response)
    assert response.status_code in (200, 302, 400, 429)


def lands_on_this_site(location: str) -> bool:
    """Whether a browser following the redirect stays on this site: browsers drop tabs
    and line breaks from a URL, read a backslash as a slash and trim leading spaces."""
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").lstrip("\x00 ")
    parts = urlsplit(seen)
    return not parts.scheme and not parts.netloc and not seen.startswith("//")


OFF_SITE = [
    "/\\evil.example", "/\t/evil.example", "/%5Cevil.example", "/ /evil.example",
    "https://evil.example", "/requests/1", "/\n",
]  # fmt: skip
URLISH = st.text(alphabet="/\\\t\n\r .:@%?#ae", max_size=12)


@fuzz(40)
@given(target=st.one_of(TEXT, URLISH, st.sampled_from(OFF_SITE)))
def test_login_never_redirects_off_the_site(client: Client, someone: User, target: str) -> None:
    token = token_of(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token, "email": someone.email, "password": PASSWORD},
    )
    if "\x00" in target:
        assert response.status_code == 400  # refused at the door
    else:
        assert response.status_code == 302
        assert lands_on_this_site(response.headers["Location"]), response.headers["Location"]


@pytest.fixture
def code_pages(app: Flask, client: Client, make_user: MakeUser) -> dict[str, Any]:
    """A client at each two-factor form: after the password of an enrolled reviewer,
    after the password of a prosecutor without an authenticator, and an officer's own
    set-up page."""
    enrolled = make_user(Role.reviewer)
    assert client.login(enrolled.email).status_code == 302  # sets up the authenticator
    pages: dict[str, tuple[Client, User]] = {}
    for n, (url, user) in enumerate((
        ("/login/code", enrolled),
        ("/login/enrol", make_user(Role.prosecutor)),
        ("/account/two-factor", make_user(Role.officer)),
    )):  # fmt: skip
        other: Client = app.test_client()  # type: ignore[assignment]
        # Each from an address of its own: wrong codes count against the address.
        other.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 10}"
        step = other.submit("/login", {"email": user.email, "password": PASSWORD})
        assert step.status_code == 302
        pages[url] = (other, user)
    return pages


def totp_secret(db: Session, user: User) -> str | None:
    db.expire_all()
    found = db.get_one(User, user.id)
    return found.totp_sealed if found else None


@fuzz(40)
@given(data=st.data())
def test_two_factor_forms(db: Session, code_pages: dict[str, Any], data: st.DataObject) -> None:
    url = data.draw(st.sampled_from(sorted(code_pages)))
    other, user = code_pages[url]
    before = totp_secret(db, user)
    pairs = fields_for(data, [("code", "123456")])
    response = post(other, url, pairs, data.draw(CSRF), token_of(other, url))
    no_error(response, url)
    if not saved(response):
        assert totp_secret(db, user) == before


# ------------------------------------------------------------------ administration


@pytest.fixture
def target(make_user: MakeUser, make_unit: MakeUnit) -> User:
    """A user of the administrator's unit for them to edit; another unit is there for
    the unit field to name."""
    make_unit(state="GB")
    return make_user(Role.officer)


def _snapshot(db: Session, user: User) -> tuple[Any, ...]:
    db.expire_all()
    found = db.get_one(User, user.id)
    return (found.name, found.unit_id, sorted(found.roles), found.active, found.totp_sealed)


NEW_USER = [("email", "new.officer@example.org"), ("name", "New Officer"),
            ("password", "Granite-otter-1987-lighthouse"), ("roles", "officer")]  # fmt: skip
NEW_UNIT = [("name", "Cybercrime Unit, Paris"), ("code", "PAR"), ("state", "FR"),
            ("timezone", "Europe/Paris")]  # fmt: skip


@fuzz(50)
@given(data=st.data())
def test_admin_forms(
    client: Client, db: Session, admin: User, target: User, data: st.DataObject
) -> None:
    url = data.draw(
        st.sampled_from(["/admin/users/new", "/admin/units/new", f"/admin/users/{target.id}"])
    )
    defaults = {"/admin/users/new": NEW_USER, "/admin/units/new": NEW_UNIT}.get(url, [])
    form = with_defaults(page_form(client, url), defaults)
    before = (count(db, User), count(db, Unit), _snapshot(db, target))
    response = post(client, url, fields_for(data, form), data.draw(CSRF), token_of(client, url))
    no_error(response, url.replace(str(target.id), "<id>"))
    if not saved(response):
        assert (count(db, User), count(db, Unit), _snapshot(db, target)) == before
    no_error(client.get("/admin/users"), "then GET")


@fuzz(10)
@given(user_id=st.integers(), csrf=CSRF)
def test_admin_two_factor_reset(client: Client, admin: User, user_id: int, csrf: str) -> None:
    url = f"/admin/users/{user_id}/reset-two-factor"
    no_error(post(client, url, [], csrf, token_of(client)))


@fuzz(30)
@given(data=st.data())
def test_password_forms(
    client: Client, db: Session, admin: User, target: User, data: st.DataObject
) -> None:
    """The admin's new password for another user, and the admin's change of their own."""
    page, url = data.draw(
        st.sampled_from(
            [
                (f"/admin/users/{target.id}", f"/admin/users/{target.id}/password"),
                ("/account/password", "/account/password"),
            ]
        )
    )
    who = target if url.startswith("/admin") else admin
    new = "Quartz-heron-2031-meadow"
    defaults = [("password", new), ("current", PASSWORD), ("new", new), ("repeat", new),
                ("admin_password", PASSWORD), ("admin_code", "000000")]  # fmt: skip
    form = with_defaults(page_form(client, page, url), defaults)
    before = _password_of(db, who)
    response = post(client, url, fields_for(data, form), data.draw(CSRF), token_of(client, page))
    no_error(response, url.replace(str(target.id), "<id>"))
    if not saved(response):
        assert _password_of(db, who) == before


def _password_of(db: Session, user: User) -> tuple[str, int, bool]:
    db.expire_all()
    found = db.get_one(User, user.id)
    return (found.password_hash, found.session_epoch, found.password_must_change)


# ------------------------------------------------------------------ found before


def test_codes_of_other_digits_are_wrong_codes(db: Session, code_pages: dict[str, Any]) -> None:
    """Six superscript or Arabic-Indic digits once crashed the code check."""
    for url, (other, user) in code_pages.items():
        before = totp_secret(db, user)
        for code in ("\u00b2" * 6, "\u0663" * 6):
            response = post(other, url, [("code", code)], "page", token_of(other, url))
            assert response.status_code == 200, (url, code)
            page = check_page(response)
            assert any("not right" in m for m in flashes(page) + form_errors(page)), (url, code)
        assert totp_secret(db, user) == before


def test_the_next_page_after_login_is_on_this_site(client: Client, someone: User) -> None:
    for target in ("/\n", "/\\evil.example", "/\t/evil.example", "/%0d%0aSet-Cookie:x=1"):
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"csrf_token": token_of(client, "/login"), "email": someone.email,
                  "password": PASSWORD},
        )  # fmt: skip
        assert response.status_code == 302
        assert lands_on_this_site(response.headers["Location"]), target


@pytest.mark.parametrize("unit_id", ["99999999999999999999999999", str(2**63), str(-(2**63) - 1)])
def test_a_unit_beyond_what_the_database_holds_is_refused(
    client: Client, db: Session, admin: User, target: User, unit_id: str
) -> None:
    """A tampered unit id too large for the database once answered 500, on the user's
    page and on the new-user form alike."""
    before = (count(db, User), _snapshot(db, target))
    page = f"/admin/users/{target.id}"
    fields = [("name", "Renamed"), ("unit_id", unit_id), ("roles", "officer"), ("active", "y")]
    edit = post(client, page, fields, "page", token_of(client, page))
    new = post(client, "/admin/users/new", [*NEW_USER, ("unit_id", unit_id)], "page",
               token_of(client, "/admin/users/new"))  # fmt: skip
    assert (edit.status_code, new.status_code) == (403, 403)
    assert (count(db, User), _snapshot(db, target)) == before
