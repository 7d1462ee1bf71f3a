"""Command-line interface: ``flask --app app <command>``.

The commands of the whole app are here; `keys`, `packet`, `rules`, `signing`, `validate`
and `worker` have modules of their own beside this one."""

from __future__ import annotations

import click
from flask import Flask, current_app

from mlat.cli.keys import keys_group, reseal
from mlat.cli.packet import packet_group
from mlat.cli.rules import rules_group, validate_command
from mlat.cli.signing import signing_group
from mlat.cli.worker import worker_command
from mlat.db import get_session
from mlat.models import Role
from mlat.services import ServiceError
from mlat.services.users import create_unit, create_user, get_unit, list_units


def register(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(validate_command)
    app.cli.add_command(rules_group)
    app.cli.add_command(packet_group)
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
    """Create a user (the first administrator, typically)."""
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


@click.group("audit")
def audit_group() -> None:
    """Check the audit trail."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 0 when intact, 1 at the first broken entry."""
    from mlat.services.audit import verify

    result = verify(session=get_session())
    if result.intact:
        click.echo(f"Audit trail intact: {result.checked} entries.")
        return
    click.echo(
        f"Audit trail broken at entry {result.broken_at}: {result.problem} "
        f"({result.checked} entries before it are intact).",
        err=True,
    )
    raise SystemExit(1)


@audit_group.command("head")
def audit_head() -> None:
    """Print the newest entry's number and hash, to be recorded outside the database."""
    from mlat.services.audit import head

    seq, digest = head(session=get_session())
    click.echo(f"{seq} {digest}")


@click.group("notify")
def notify_group() -> None:
    """Send notifications that do not come from a user's action."""


@notify_group.command("deadlines")
def notify_deadlines() -> None:
    """Warn owners of preservations lapsing within 14 and 7 days (run daily)."""
    from flask_babel import gettext

    from mlat.services.notifications import preservation_warnings, send_notification_emails

    session = get_session()
    count = preservation_warnings(session=session)
    session.commit()
    click.echo(f"{count} notifications written.")
    config = current_app.config["MLAT"]
    send_notification_emails(session=session, smtp=config.smtp, base_url=config.base_url,
                             gettext=gettext, logger=current_app.logger)  # fmt: skip


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
def backup_command(target: str) -> None:
    """Write a consistent copy of the SQLite database while the app keeps running."""
    from mlat.backup import BackupError, backup_sqlite

    try:
        pages = backup_sqlite(current_app.extensions["mlat_engine"], target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up {pages} pages to {target}.")
