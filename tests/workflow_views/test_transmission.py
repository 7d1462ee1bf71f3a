"""Recording a transmission, and the refusal that may follow it, from the request page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from babel.dates import format_date
from sqlmodel import Session

from mlat.models import MlaRequest, User
from tests.conftest import Client
from tests.workflow_helpers import put_in_state, today
from tests.workflow_views.pages import S, history, reload

# Recording transmission and what follows ---------------------------------------------------


@pytest.fixture
def signed(db: Session, draft: MlaRequest) -> MlaRequest:
    return put_in_state(db, draft, S.signed)


def test_transmission_is_recorded_and_shown(
    db: Session, signed: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    own = browser(officer)
    page = own.get(f"/requests/{signed.id}")
    assert "Record transmission" in page.text
    assert 'id="transmit-channel"' in page.text and 'id="transmit-on"' in page.text
    yesterday = today() - dt.timedelta(days=1)
    shown = own.submit(
        f"/requests/{signed.id}/do/transmit",
        {"version": str(signed.version), "on": yesterday.isoformat(),
         "channel": "central_authority", "foreign_reference": "CRM-182-77"},
        form_url=f"/requests/{signed.id}", follow_redirects=True,
    )  # fmt: skip
    assert "Done: Record transmission." in shown.text
    summary = shown.text.split('<dl class="summary">')[1].split("</dl>")[0]
    assert "Transmitted" in summary
    assert format_date(yesterday, "medium", locale="en") in summary
    assert "Central authority to central authority" in summary
    assert "their reference CRM-182-77" in summary
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
    assert message in shown.text
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
    assert "Give a reason or a comment." in refused.text
    assert reload(db, draft).status == S.transmitted

    done = own.submit(url, {**form, "comment": "Dual criminality not met."}, form_url=back,
                      follow_redirects=True)  # fmt: skip
    assert "Done: Record refusal." in done.text
    assert "Dual criminality not met." in done.text  # in the history
    assert reload(db, draft).status == S.refused
