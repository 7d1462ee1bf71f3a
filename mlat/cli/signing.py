"""``flask --app app signing import EMAIL FILE.p12``: load a prosecutor's signing key and
certificate; ``flask --app app signing demo EMAIL``: give them a demonstration one."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from mlat.db import get_session
from mlat.models import User
from mlat.services import ServiceError
from mlat.services.signing import import_credential, issue_demo_credential, signing_keys
from mlat.services.users import normalise_email


@click.group("signing")
def signing_group() -> None:
    """Signing certificates of the prosecutors."""


def _user(email: str) -> User:
    user = get_session().exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise click.ClickException(f"No user with the e-mail address {email}.")
    return user


@signing_group.command("import")
@click.argument("email")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(email: str, file: Path) -> None:
    """Load the PKCS#12 FILE (key, certificate and issuing authorities) as the signing
    credential of the user EMAIL; its passphrase is read from MLAT_PKCS12_PASSPHRASE or
    asked for."""
    user = _user(email)
    passphrase = os.environ.get("MLAT_PKCS12_PASSPHRASE")
    if passphrase is None:
        passphrase = click.prompt("Passphrase of the PKCS#12 file", hide_input=True, default="",
                                  show_default=False)  # fmt: skip
    session = get_session()
    try:
        found = import_credential(session=session, user=user, data=file.read_bytes(),
                                  passphrase=passphrase.encode(),
                                  keys=signing_keys(current_app.config["MLAT"]))  # fmt: skip
    except ServiceError as exc:
        message = exc.message % exc.params if exc.params else exc.message
        raise click.ClickException(message) from exc
    session.commit()
    click.echo(
        f"{user.email} now signs as {found.subject} (valid until {found.not_after:%Y-%m-%d})."
    )


@signing_group.command("demo")
@click.argument("email")
@with_appcontext
def demo_command(email: str) -> None:
    """Give the user EMAIL a demonstration certificate from their unit's own authority:
    packets signed with it say so, and are trusted only by this installation."""
    user = _user(email)
    session = get_session()
    found = issue_demo_credential(session=session, user=user,
                                  keys=signing_keys(current_app.config["MLAT"]))  # fmt: skip
    session.commit()
    click.echo(f"{user.email} now signs as {found.subject} (a demonstration certificate).")
