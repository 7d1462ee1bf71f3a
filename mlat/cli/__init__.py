"""Command-line interface: ``flask --app app <command>``.

The commands of the whole app are here; `audit`, `evidence`, `keys`, `packet`, `rules`,
`signing`, `validate` and `worker` have modules of their own beside this one."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from mlat.cli.audit import audit_group, report_written
from mlat.cli.evidence import evidence_group
from mlat.cli.keys import keys_group, reseal
from mlat.cli.packet import packet_group
from mlat.cli.rules import rules_group, validate_command
from mlat.cli.signing import signing_group
from mlat.cli.worker import worker_command
from mlat.db import get_session
from mlat.models import Role
from mlat.services import ServiceError
from mlat.services.users import (
    create_unit,
    create_user,
    find_user,
    get_unit,
    grant_role,
    has_installation_admin,
    list_units,
)


def register(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(grant_role_command)
    app.cli.add_command(validate_command)
    app.cli.add_command(rules_group)
    app.cli.add_command(packet_group)
    app.cli.add_command(evidence_group)
    app.cli.add_command(signing_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(notify_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(worker_command)


@click.command("init-db")
def init_db() -> None:
    """Apply every database migration, then encrypt the files and two-factor secrets
    stored before encryption at rest (safe to run again)."""
    from mlat.migrate import upgrade, upgrade_report

    click.echo(upgrade_report(*upgrade(current_app.extensions["mlat_engine"])))
    files, secrets = reseal(get_session(), size=100, only_plain=True)
    if files.moved or secrets.moved:
        click.echo(f"Encrypted {files.moved} stored files and {secrets.moved} two-factor "
                   "secrets kept before encryption at rest.")  # fmt: skip


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load demo units, users and requests once; print the demo logins."""
    from mlat.demo import seed_demo
    from mlat.services.signing import signing_keys

    session = get_session()
    logins = seed_demo(session=session, keys=signing_keys(current_app.config["MLAT"]))
    if not logins:
        click.echo("Demo data is already loaded.")
        return
    # Keep the generated passwords before committing, so that they cannot be lost.
    instance = current_app.config["MLAT"].instance_path
    instance.mkdir(parents=True, exist_ok=True)
    lines = [f"{lo.email}  {lo.password}  ({', '.join(lo.roles)})" for lo in logins]
    credentials = instance / "demo-credentials.txt"
    credentials.touch(mode=0o600)
    credentials.write_text("\n".join(lines) + "\n")
    session.commit()
    click.echo(f"Demo users (also saved in {credentials}):")
    for line in lines:
        click.echo("  " + line)


@click.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=[Role.admin.value],
    show_default=True,
    help=f"repeat for several; {Role.installation_admin.value}: creates units and manages "
    "every unit's users",
)
@click.option("--unit-code", prompt="Unit reference prefix (e.g. DOH)")
@click.option("--unit-name", default=None, help="creates the unit when it does not exist")
@click.option("--unit-state", default=None, help="ISO 3166 code of a new unit's state")
@click.option("--unit-timezone", default="UTC", show_default=True)
@click.password_option()
def create_user_command(
    email: str,
    name: str,
    roles: tuple[str, ...],
    unit_code: str,
    unit_name: str | None,
    unit_state: str | None,
    unit_timezone: str,
    password: str,
) -> None:
    """Create a user (the first administrator, typically: give the first one the roles
    admin and install_admin, so that they can create the other units)."""
    session = get_session()
    unit = next((u for u in list_units(session=session) if u.code == unit_code.upper()), None)
    try:
        if unit is None:
            if not (unit_name and unit_state):
                raise click.UsageError(
                    f"No unit {unit_code.upper()}: give --unit-name and --unit-state to create it."
                )
            unit = create_unit(
                session=session,
                name=unit_name,
                code=unit_code,
                state=unit_state,
                timezone=unit_timezone,
            )
        assert unit.id is not None
        user = create_user(
            session=session,
            email=email,
            name=name,
            password=password,
            unit=get_unit(session=session, unit_id=unit.id),
            roles=[Role(r) for r in roles],
        )
    except ServiceError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(f"Created {user.email} ({', '.join(roles)}) in {unit.name}.")
    _say_if_nobody_creates_units()


def _say_if_nobody_creates_units() -> None:
    if not has_installation_admin(session=get_session()):
        click.echo(
            f"Nobody is an installation administrator yet, and only one can create units: "
            f"give a user the role with `create-user --role {Role.installation_admin.value}` "
            f"or `grant-role EMAIL {Role.installation_admin.value}`."
        )


@click.command("grant-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def grant_role_command(email: str, role: str) -> None:
    """Give an existing user a role, such as install_admin to the first installation
    administrator (audited; the user is told)."""
    session = get_session()
    try:
        user = find_user(session=session, email=email)
        granted = grant_role(session=session, user=user, role=Role(role))
    except ServiceError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from exc
    session.commit()
    if not granted:
        click.echo(f"{user.email} already holds the role {role}.")
        return
    click.echo(f"{user.email} now holds the role {role}.")
    _send_emails()


def _send_emails() -> None:
    """E-mail the notifications just committed, as the pages do after their commit."""
    from mlat.i18n import gettext_in
    from mlat.services.notifications import send_notification_emails

    config = current_app.config["MLAT"]
    send_notification_emails(session=get_session(), smtp=config.smtp, base_url=config.base_url,
                             gettext_in=gettext_in, logger=current_app.logger)  # fmt: skip


@click.group("notify")
def notify_group() -> None:
    """Send notifications that do not come from a user's action."""


@notify_group.command("deadlines")
def notify_deadlines() -> None:
    """Warn owners of preservations lapsing within 14 and 7 days (run daily)."""
    from mlat.services.notifications import preservation_warnings

    session = get_session()
    count = preservation_warnings(session=session)
    session.commit()
    click.echo(f"{count} notifications written.")
    _send_emails()


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup_command(target: Path) -> None:
    """Write a consistent copy of the SQLite database while the app keeps running, and a
    signed checkpoint of the audit chain in it."""
    from mlat.backup import BackupError, backup_sqlite
    from mlat.services.audit_checkpoints import CheckpointError, write_checkpoint
    from mlat.services.audit_keys import keyring_for

    engine = current_app.extensions["mlat_engine"]
    try:
        copy = backup_sqlite(engine, target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up {copy.pages} pages to {target}.")
    settings = current_app.config["MLAT"].audit
    if settings.checkpoint_dir is None:
        return
    try:
        written = write_checkpoint(session=get_session(), settings=settings,
                                   keys=keyring_for(engine), source=f"backup {target.name}",
                                   at_head=copy.audit_head)  # fmt: skip
    except CheckpointError as exc:
        raise click.ClickException(
            f"The backup was written, but not its checkpoint: {exc}"
        ) from exc
    report_written(written)
