"""Recording a transmission, and the refusal that may follow it, from the request page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from babel.dates import format_date
from sqlmodel import Session

from mlat.models import MlaRequest, User
from tests.conftest import Client, summary
from tests.workflow_helpers import put_in_state, today
from tests.workflow_views.pages import (
    S,
    buttons,
    history,
    history_entries,
    messages,
    read,
    reload,
    says,
)

# Recording transmission and what follows ---------------------------------------------------


@pytest.fixture
def signed(db: Session, draft: MlaRequest) -> MlaRequest:
    return put_in_state(db, draft, S.signed)


def test_transmission_is_recorded_and_shown(
    db: Session, signed: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    own = browser(officer)
    page = read(own.get(f"/requests/{signed.id}"))
    assert "Record transmission" in buttons(page)
    assert page.select_one("form #transmit-channel") and page.select_one("form #transmit-on")
    yesterday = today() - dt.timedelta(days=1)
    shown = own.submit(
        f"/requests/{signed.id}/do/transmit",
        {"version": str(signed.version), "on": yesterday.isoformat(),
         "channel": "central_authority", "foreign_reference": "CRM-182-77"},
        form_url=f"/requests/{signed.id}", follow_redirects=True,
    )  # fmt: skip
    page = read(shown)
    assert messages(page) == ["The transmission is recorded."]
    assert summary(page)["Transmitted"] == (
        f"{format_date(yesterday, 'medium', locale='en')} · "
        "Central authority to central authority · their reference CRM-182-77"
    )
    request = reload(db, signed)
    assert (request.status, request.transmitted_on) == (S.transmitted, yesterday)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"channel": "central_authority"}, "Give the date."),
        ({"on": "{today}"}, "Choose the channel the request was sent through."),
        (
            {"on": "{in_a_week}", "channel": "central_authority"},
            "The date cannot be in the future.",
        ),
        ({"on": "31/12/2026", "channel": "central_authority"}, "Not a valid date value."),
    ],
    ids=["no-date", "no-channel", "future-date", "bad-date"],
)
def test_transmission_without_what_it_needs_is_refused(
    db: Session,
    signed: MlaRequest,
    officer: User,
    browser: Callable[[User], Client],
    form: dict[str, str],
    message: str,
) -> None:
    dates = {"today": today().isoformat(),
             "in_a_week": (today() + dt.timedelta(days=7)).isoformat()}  # fmt: skip
    own = browser(officer)
    shown = own.submit(
        f"/requests/{signed.id}/do/transmit",
        {"version": str(signed.version), **{k: v.format(**dates) for k, v in form.items()}},
        form_url=f"/requests/{signed.id}", follow_redirects=True,
    )  # fmt: skip
    assert says(read(shown), message)
    assert reload(db, signed).status == S.signed
    assert history(db, signed) == []


def test_refusal_needs_a_reason(
    db: Session, draft: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    put_in_state(db, draft, S.transmitted)
    own = browser(officer)
    url, back = f"/requests/{draft.id}/do/refuse", f"/requests/{draft.id}"
    form = {"version": str(draft.version), "on": today().isoformat()}
    refused = own.submit(url, form, form_url=back, follow_redirects=True)
    assert says(read(refused), "Give a reason or a comment.")
    assert reload(db, draft).status == S.transmitted

    done = own.submit(url, {**form, "comment": "Dual criminality not met."}, form_url=back,
                      follow_redirects=True)  # fmt: skip
    page = read(done)
    assert messages(page) == ["The refusal is recorded."]
    assert history_entries(page)[-1].endswith("Dual criminality not met.")
    assert reload(db, draft).status == S.refused
