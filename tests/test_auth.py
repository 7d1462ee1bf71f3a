from __future__ import annotations

import pytest
from sqlmodel import Session

from mlat.models import Role, User
from mlat.services.users import set_password
from tests.conftest import (
    PASSWORD,
    Client,
    LoginAs,
    MakeUser,
    PageClient,
    check_page,
    field_value,
    flashes,
    form_errors,
    text_of,
    texts,
)


def test_login_then_logout(client: Client, client_request: PageClient, make_user: MakeUser) -> None:
    user = make_user(Role.officer)
    response = client.login(user.email)
    assert response.status_code == 302
    page = client_request.get("/")
    assert texts(page, "header .who span") == [f"{user.name} · {user.unit.name}"]
    assert texts(page, "header .who button") == ["Log out"]

    client.submit("/logout", {}, form_url="/")
    assert client.get("/").status_code == 302  # back to the login page


def test_login_is_case_insensitive_on_email(client: Client, make_user: MakeUser) -> None:
    user = make_user(Role.officer)
    assert client.login(user.email.upper()).status_code == 302


def test_wrong_password_keeps_the_email_and_says_why(client: Client, make_user: MakeUser) -> None:
    user = make_user(Role.officer)
    response = client.login(user.email, "not the password at all")
    assert response.status_code == 200
    page = check_page(response)
    assert "The e-mail address or password is not right." in flashes(page) + form_errors(page)
    assert field_value(page, "email") == user.email
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_message(client: Client) -> None:
    page = check_page(client.login("nobody@example.org"))
    assert "The e-mail address or password is not right." in flashes(page) + form_errors(page)


def test_empty_form_lists_what_is_missing(client_request: PageClient) -> None:
    page = client_request.post("/login", {"email": "", "password": ""})
    assert text_of(page.select_one(".error-summary h2")) == "There is a problem"
    assert form_errors(page) == ["Enter your e-mail address.", "Enter your password."]


def test_deactivated_user_cannot_log_in(client: Client, make_user: MakeUser, db: Session) -> None:
    user = make_user(Role.officer)
    user.active = False
    db.add(user)
    db.commit()
    assert client.login(user.email).status_code == 200


def test_post_without_csrf_token_is_refused(client: Client, make_user: MakeUser) -> None:
    user = make_user(Role.officer)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "could not be understood" in text_of(check_page(response).h1)
    assert client.get("/").status_code == 302  # still logged out


def test_logout_needs_csrf_token(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in


def test_pages_need_login(client: Client) -> None:
    response = client.get("/requests/new")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_login_returns_to_the_page_asked_for(client: Client, make_user: MakeUser) -> None:
    user = make_user(Role.officer)
    response = client.submit(
        "/login?next=/requests/new", {"email": user.email, "password": PASSWORD}
    )
    assert response.location == "/requests/new"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "/%5Cevil.example/", "/%09/evil.example/", "https://evil.example/"],
    ids=["scheme-relative", "backslash", "tab", "absolute"],
)
def test_login_does_not_redirect_off_site(client: Client, make_user: MakeUser, target: str) -> None:
    user = make_user(Role.officer)
    response = client.submit(f"/login?next={target}", {"email": user.email, "password": PASSWORD})
    assert response.location == "/"


def test_password_change_ends_open_sessions(client: Client, login_as: LoginAs, db: Session) -> None:
    user = login_as(Role.officer)
    assert client.get("/").status_code == 200
    set_password(session=db, user=db.get_one(User, user.id), password="a brand new passphrase")
    db.commit()
    assert client.get("/").status_code == 302


def test_security_headers(client: Client) -> None:
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_request_passes_the_input_guard_then_the_csrf_check_then_the_login_gate(
    client: Client,
) -> None:
    hooks = [hook.__name__ for hook in client.application.before_request_funcs[None]]
    assert hooks == ["limit_input", "refuse_unusable_input", "csrf_protect", "require_login"]
    # Logged out, a field with a NUL character is refused before the login gate redirects.
    assert client.post("/logout", data={"name": "a\x00b"}).status_code == 400


TOO_LARGE = "What was sent is too large, or has too many fields, to be accepted."


def test_an_anonymous_body_is_limited_before_it_is_parsed(client: Client) -> None:
    """An anonymous POST of megabytes of empty fields cost seconds of CPU, parsed before
    the login gate: it is now refused on its size or its count of fields, unread."""
    huge = client.post("/login", data=b"a=&" * 900_000,
                       content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert huge.status_code == 413
    assert text_of(check_page(huge).select_one("main h1")) == TOO_LARGE
    many = client.post("/login", data=b"&".join([b"a="] * 60),
                       content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert many.status_code == 413
    parts = client.post("/login", data={f"f{n}": "" for n in range(60)},
                        content_type="multipart/form-data")  # fmt: skip
    assert parts.status_code == 413


def test_a_logged_in_form_is_limited_in_its_fields_not_its_size(
    client: Client, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    fields = client.post("/logout", data=b"&".join([b"a="] * 6000),
                         content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert fields.status_code == 413
    # a long text, as the facts of a request, is not refused for its size here
    long = client.post("/logout", data={"facts": "x" * 200_000})
    assert long.status_code == 400  # no CSRF token: refused by the next check, not 413


def test_pages_with_case_data_are_not_cached(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    assert client.get("/").headers["Cache-Control"] == "no-store"
