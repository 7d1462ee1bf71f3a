"""A user is told when an administrator changes their account (a new password, a reset
authenticator, other roles or another unit, a deactivation): by e-mail when an SMTP
server is configured, and in the app. The message says what changed, who changed it,
when (in the user's unit's time) and to contact the unit when it was not expected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from mlat.config import SmtpSettings
from mlat.models import Notification, Role, Unit, User
from tests.admin_helpers import own_credentials
from tests.conftest import Client, MakeUnit, MakeUser, check_page, texts
from tests.notifications.inbox import BASE_URL, inbox
from tests.notifications.mailbox import Mailbox

NOT_EXPECTED = (
    "If you did not expect this change, contact your unit at once: someone may be trying "
    "to take over your account."
)

Change = Callable[[Client, User, User, Unit], dict[str, Any]]


def _edit(target: User, **fields: Any) -> dict[str, Any]:
    return {"name": target.name, "unit_id": str(target.unit_id), "active": "y",
            "roles": sorted(r.value for r in target.roles), **fields}  # fmt: skip


# Each change: the URL it is posted to, the form, the subject and what the e-mail adds.
CHANGES: dict[str, Callable[[Client, User, User, Unit], tuple[str, dict[str, Any], str, str]]] = {
    "password": lambda client, admin, target, lagos: (
        f"/admin/users/{target.id}/password",
        {"password": "a temporary passphrase", **own_credentials(client, admin)},
        f"{admin.name} set a new password for your account.",
        "Your open sessions were ended. Log in with the password the administrator gives you, "
        "then choose your own.",
    ),
    "two-factor": lambda client, admin, target, lagos: (
        f"/admin/users/{target.id}/reset-two-factor",
        own_credentials(client, admin),
        f"{admin.name} reset the two-factor authentication of your account.",
        "Your open sessions were ended. You set up your authenticator app again when you next "
        "log in.",
    ),
    "roles": lambda client, admin, target, lagos: (
        f"/admin/users/{target.id}",
        _edit(target, roles=["reviewer", "prosecutor"]),
        f"{admin.name} changed your roles or your unit.",
        f"Your roles are now: Prosecutor, Reviewer. Your unit: {target.unit.name}.",
    ),
    "unit": lambda client, admin, target, lagos: (
        f"/admin/users/{target.id}",
        _edit(target, unit_id=str(lagos.id)),
        f"{admin.name} changed your roles or your unit.",
        f"Your roles are now: Officer. Your unit: {lagos.name}.",
    ),
    "deactivation": lambda client, admin, target, lagos: (
        f"/admin/users/{target.id}",
        _edit(target, active=None),
        f"{admin.name} deactivated your account.",
        "You can no longer log in.",
    ),
}


class TestWithAnSmtpServer:
    @pytest.fixture
    def smtp(self, mailbox: Mailbox) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="mlat@pp.example.qa")

    @pytest.mark.parametrize("change", CHANGES)
    def test_the_user_is_emailed_what_changed_who_changed_it_and_when(
        self,
        db: Session,
        client: Client,
        mailbox: Mailbox,
        make_user: MakeUser,
        make_unit: MakeUnit,
        change: str,
    ) -> None:
        target = make_user(Role.officer)
        lagos = make_unit(name="Economic Crime Unit, Lagos", state="NG", timezone="Africa/Lagos")
        admin = make_user(Role.installation_admin)
        assert client.login(admin.email).status_code == 302
        url, form, subject, consequence = CHANGES[change](client, admin, target, lagos)
        response = client.submit(url, {k: v for k, v in form.items() if v is not None},
                                 form_url="/admin/users")  # fmt: skip
        assert response.status_code in (302, 303), response.text

        [message] = mailbox.to(target.email)
        assert message["Subject"] == subject
        assert message["From"] == "mlat@pp.example.qa"
        body = message.get_content().replace("\r\n", "\n")
        [notification] = db.exec(select(Notification).where(Notification.user_id == target.id))
        zone = "Africa/Lagos" if change == "unit" else "Asia/Qatar"  # where the user now works
        at = notification.created_at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone))
        assert body == (
            f"{subject}\n\n{consequence}\n\n"
            f"Changed by {admin.name} <{admin.email}> on {at:%Y-%m-%d %H:%M} ({zone}).\n\n"
            f"{NOT_EXPECTED}\n\n{BASE_URL}/login\n"
        )
        assert [m["To"] for m in mailbox.messages] == [target.email]  # nobody else

    def test_nothing_is_sent_for_a_rename_or_a_refused_reset(
        self,
        db: Session,
        client: Client,
        mailbox: Mailbox,
        make_user: MakeUser,
    ) -> None:
        target = make_user(Role.officer)
        admin = make_user(Role.admin)
        assert client.login(admin.email).status_code == 302
        renamed = client.submit(f"/admin/users/{target.id}", _edit(target, name="Renamed"))
        assert renamed.status_code == 302
        refused = client.submit(f"/admin/users/{target.id}/password",
                                {"password": "a temporary passphrase",
                                 "admin_password": "not mine at all"},
                                form_url="/admin/users")  # fmt: skip
        assert refused.status_code == 400
        assert mailbox.messages == []
        assert inbox(db) == {}


def test_the_user_reads_it_in_the_app_too(
    db: Session, client: Client, make_user: MakeUser, app: Any
) -> None:
    """Without an SMTP server the notification waits in the app for the next log-in."""
    target = make_user(Role.officer)
    admin = make_user(Role.admin)
    assert client.login(admin.email).status_code == 302
    response = client.submit(f"/admin/users/{target.id}",
                             _edit(target, roles=["officer", "reviewer"]))  # fmt: skip
    assert response.status_code == 302
    assert inbox(db) == {target.id: ["access_changed"]}
    theirs: Client = app.test_client()
    assert theirs.login(target.email).status_code == 302  # a reviewer now: sets up a phone
    page = check_page(theirs.get("/notifications"))
    assert texts(page, "ul.notifications li") == [
        f"{admin.name} changed your roles or your unit. "
        + texts(page, "ul.notifications li span")[0]
    ]
    assert page.select("ul.notifications li a") == []  # nothing to open
