"""``flask --app app signing import EMAIL FILE.p12``: load a prosecutor's signing key and
certificate; ``flask --app app signing token EMAIL LABEL``: sign for them with their key
on the installation's PKCS#11 token; ``flask --app app signing demo EMAIL``: give them a
demonstration one. ``signing seal CODE FILE.p12``, ``signing demo-seal CODE`` and
``signing seal-certificate CODE``: the unit's seal, which signs its evidence bundles."""

from __future__ import annotations

import os
from pathlib import Path

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from mlat.db import get_session
from mlat.models import Unit, User
from mlat.services import ServiceError
from mlat.services.evidence_bundles import seal_chain_pem
from mlat.services.signing import (
    import_credential,
    import_seal,
    import_token_credential,
    issue_demo_credential,
    issue_demo_seal,
    signing_keys,
)
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
    passphrase = _passphrase()
    session = get_session()
    try:
        found = import_credential(session=session, user=user, data=file.read_bytes(),
                                  passphrase=passphrase.encode(),
                                  keys=signing_keys(current_app.config["MLAT"]))  # fmt: skip
    except ServiceError as exc:
        raise _refused(exc) from exc
    session.commit()
    click.echo(
        f"{user.email} now signs as {found.subject} (valid until {found.not_after:%Y-%m-%d})."
    )


def _passphrase() -> str:
    """The PKCS#12 file's passphrase: from MLAT_PKCS12_PASSPHRASE, or asked for."""
    found = os.environ.get("MLAT_PKCS12_PASSPHRASE")
    if found is None:
        found = click.prompt("Passphrase of the PKCS#12 file", hide_input=True, default="",
                             show_default=False)  # fmt: skip
    return str(found)


def _refused(exc: ServiceError) -> click.ClickException:
    return click.ClickException(exc.message % exc.params if exc.params else exc.message)


@signing_group.command("token")
@click.argument("email")
@click.argument("label")
@click.option(
    "--certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The user's certificate (PEM or DER), if the token does not hold it under LABEL.",
)  # fmt: skip
@click.option(
    "--chain", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The certificates of the issuing authorities (PEM), to embed in each signature.",
)  # fmt: skip
@with_appcontext
def token_command(email: str, label: str, certificate: Path | None, chain: Path | None) -> None:
    """Sign for the user EMAIL with the key labelled LABEL on the PKCS#11 token named by
    MLAT_PKCS11_MODULE, MLAT_PKCS11_TOKEN and MLAT_PKCS11_PIN. The key signs a test
    message first, which the certificate must verify."""
    user = _user(email)
    authorities: tuple[bytes, ...] = ()
    if chain is not None:
        try:
            certs = x509.load_pem_x509_certificates(chain.read_bytes())
        except ValueError as exc:
            raise click.ClickException(f"{chain} holds no PEM certificates.") from exc
        authorities = tuple(c.public_bytes(serialization.Encoding.DER) for c in certs)
    session = get_session()
    try:
        found = import_token_credential(
            session=session, user=user, key_label=label,
            keys=signing_keys(current_app.config["MLAT"]),
            certificate=certificate.read_bytes() if certificate else None, chain=authorities,
        )  # fmt: skip
    except ServiceError as exc:
        raise _refused(exc) from exc
    session.commit()
    click.echo(
        f"{user.email} now signs as {found.subject} with the key {label!r} on the token "
        f"(valid until {found.not_after:%Y-%m-%d})."
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


def _unit(code: str) -> Unit:
    unit = get_session().exec(select(Unit).where(Unit.code == code.strip().upper())).first()
    if unit is None:
        raise click.ClickException(f"No unit with the code {code}.")
    return unit


@signing_group.command("seal")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def seal_command(code: str, file: Path) -> None:
    """Load the PKCS#12 FILE (key, certificate and issuing authorities) as the seal of
    the unit CODE, which signs its evidence bundles; its passphrase is read from
    MLAT_PKCS12_PASSPHRASE or asked for."""
    unit = _unit(code)
    passphrase = _passphrase()
    session = get_session()
    try:
        found = import_seal(session=session, unit=unit, data=file.read_bytes(),
                            passphrase=passphrase.encode(),
                            keys=signing_keys(current_app.config["MLAT"]))  # fmt: skip
    except ServiceError as exc:
        raise _refused(exc) from exc
    session.commit()
    click.echo(
        f"{unit.name} now seals as {found.subject} (valid until {found.not_after:%Y-%m-%d})."
    )


@signing_group.command("demo-seal")
@click.argument("code")
@with_appcontext
def demo_seal_command(code: str) -> None:
    """Give the unit CODE a demonstration seal from its own authority."""
    unit = _unit(code)
    session = get_session()
    found = issue_demo_seal(session=session, unit=unit,
                            keys=signing_keys(current_app.config["MLAT"]))  # fmt: skip
    session.commit()
    click.echo(f"{unit.name} now seals as {found.subject} (a demonstration certificate).")


@signing_group.command("seal-certificate")
@click.argument("code")
@with_appcontext
def seal_certificate_command(code: str) -> None:
    """Print the seal certificate of the unit CODE and its issuers (PEM), to give to
    the recipients of its bundles."""
    unit = _unit(code)
    try:
        pem = seal_chain_pem(session=get_session(), unit_id=unit.id or 0)
    except ServiceError as exc:
        raise _refused(exc) from exc
    click.echo(pem.decode(), nl=False)
