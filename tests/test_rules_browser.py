"""The read-only rules browser, per state and per measure."""

from __future__ import annotations

from mlat.models import Role
from tests.conftest import Client, LoginAs


def test_index_lists_states_with_unverified_counts(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    page = client.get("/rules/")
    assert page.status_code == 200
    assert "United States" in page.text
    assert "Qatar" in page.text
    assert "unverified" in page.text


def test_state_page_shows_sources_and_verification(client: Client, login_as: LoginAs) -> None:
    login_as(Role.reviewer)
    page = client.get("/rules/US")
    assert page.status_code == 200
    assert "Office of International Affairs" in page.text
    assert "Probable cause" in page.text
    assert "Verified" in page.text
    assert "Unverified: not yet confirmed against a source" in page.text
    assert 'href="https://' in page.text
    assert (
        "Treaty between the United States" in page.text or "Convention on Cybercrime" in page.text
    )


def test_measure_page_compares_states(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    page = client.get("/rules/measure/stored_content")
    assert page.status_code == 200
    assert "United States" in page.text and "Germany" in page.text


def test_unknown_state_or_measure_is_404(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    assert client.get("/rules/ZZ").status_code == 404
    assert client.get("/rules/measure/telepathy").status_code == 404


def test_route_advisor_page(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    page = client.get("/rules/routes?requesting=GB&requested=US&measure=stored_content&urgent=y")
    assert page.status_code == 200
    assert "24/7 network" in page.text
    assert "Treaty between the United States" in page.text or "mlat-gb-us" in page.text
    bad = client.get("/rules/routes?requesting=XX&requested=US")
    assert bad.status_code == 200
    assert "Choose a state from the list." in bad.text
