"""Who may open which page: officers draft, administrators manage users and units."""

from __future__ import annotations

from typing import Any

import pytest

from mlat.models import Role
from tests.conftest import Client, LoginAs, MakeUser, check_page, text_of, texts


def menu(client: Client) -> list[str]:
    """The links of the main navigation on the home page."""
    return texts(check_page(client.get("/")), "header nav a")


def refusal(response: Any) -> str:
    """The heading of the error page the response shows."""
    return text_of(check_page(response).h1)


@pytest.mark.parametrize("role", [Role.reviewer, Role.prosecutor, Role.admin])
def test_only_officers_may_start_a_request(client: Client, login_as: LoginAs, role: Role) -> None:
    login_as(role)
    response = client.get("/requests/new")
    assert response.status_code == 403
    assert refusal(response) == "You do not have permission to do this."
    assert "New request" not in client.get("/").text  # no button leading to the refusal
    assert check_page(client.get("/")).select('a[href="/requests/new"]') == []


def test_officer_cannot_open_user_administration(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert refusal(response) == "You do not have permission to do this."
    assert "Users and units" not in menu(client)  # not offered in the menu
    assert "Users and units" not in client.get("/").text


def test_officer_cannot_create_a_user_by_posting_directly(
    client: Client, login_as: LoginAs, make_user: MakeUser
) -> None:
    officer = login_as(Role.officer)
    response = client.submit(
        "/admin/users/new",
        {
            "email": "intruder@example.org",
            "name": "Intruder",
            "unit_id": str(officer.unit_id),
            "roles": ["admin"],
            "active": "y",
            "password": "a long enough password",
        },
        form_url="/",
    )
    assert response.status_code == 403
    assert client.login("intruder@example.org", "a long enough password").status_code == 200


@pytest.mark.parametrize("role", [Role.admin, Role.installation_admin], ids=str)
def test_admin_pages_open_for_administrators(client: Client, login_as: LoginAs, role: Role) -> None:
    admin = login_as(role)
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert admin.email in texts(check_page(page), "main table td")
    assert "Users and units" in menu(client)  # the menu offers it
    assert ("Reported rules" in menu(client)) is (role is Role.admin)  # a unit's reports
    for url in ("/admin/users/new", f"/admin/users/{admin.id}", "/admin/audit"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/units/new").status_code == (403 if role is Role.admin else 200)


def test_a_user_with_several_roles_gets_every_roles_pages(
    client: Client, login_as: LoginAs
) -> None:
    login_as(Role.officer, Role.admin)
    assert client.get("/requests/new").status_code == 200
    assert client.get("/admin/users").status_code == 200


def test_unknown_user_in_admin_is_not_found(client: Client, login_as: LoginAs) -> None:
    login_as(Role.admin)
    assert client.get("/admin/users/999999").status_code == 404


ROLE_TABLE = [
    ("/", Role.officer, 200),
    ("/", Role.admin, 200),
    ("/rules/", Role.officer, 200),
    ("/rules/", Role.admin, 200),
    ("/requests/new", Role.officer, 200),
    ("/requests/new", Role.reviewer, 403),
    ("/requests/new", Role.prosecutor, 403),
    ("/requests/new", Role.admin, 403),
    ("/admin/users", Role.officer, 403),
    ("/admin/users", Role.reviewer, 403),
    ("/admin/users", Role.prosecutor, 403),
    ("/admin/users", Role.admin, 200),
    ("/admin/users/new", Role.officer, 403),
    ("/admin/users/new", Role.reviewer, 403),
    ("/admin/users/new", Role.admin, 200),
    ("/admin/units/new", Role.officer, 403),
    ("/admin/units/new", Role.prosecutor, 403),
    ("/admin/units/new", Role.admin, 403),
    ("/admin/units/new", Role.installation_admin, 200),
    ("/admin/rule-reports", Role.admin, 200),
    ("/admin/rule-reports", Role.installation_admin, 403),
]


@pytest.mark.parametrize(("url", "role", "expected"), ROLE_TABLE)
def test_role_table(client: Client, login_as: LoginAs, url: str, role: Role, expected: int) -> None:
    login_as(role)
    assert client.get(url).status_code == expected


@pytest.mark.parametrize("url", ["/", "/requests/new", "/admin/users", "/admin/units/new"])
def test_logged_out_visitors_are_sent_to_log_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
