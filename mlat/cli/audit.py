"""``flask --app app audit verify [--checkpoints DIR]``: walk the audit chain and check it
against its signed checkpoints; ``audit checkpoint``: write one (from a timer); ``audit
head``: print the newest entry's number and hash."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from mlat.config import Config
from mlat.db import get_session
from mlat.services.audit import head, verify
from mlat.services.audit_checkpoints import CheckpointError, Written, check, write_checkpoint
from mlat.services.audit_keys import keyring_for


@click.group("audit")
def audit_group() -> None:
    """Check the audit trail and anchor it outside the database."""


@audit_group.command("verify")
@click.option(
    "--checkpoints",
    "checkpoint_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="also check the signed checkpoints in this directory",
)
def audit_verify(checkpoint_dir: Path | None) -> None:
    """Walk the chain (and check its checkpoints); exit 0 when intact, 1 otherwise."""
    session = get_session()
    result = verify(session=session)
    if not result.intact:
        click.echo(
            f"Audit trail broken at entry {result.broken_at}: {result.problem} "
            f"({result.checked} entries before it are intact).",
            err=True,
        )
    summary = f"Audit trail intact: {result.checked} entries."
    if checkpoint_dir is not None:
        report = check(session=session, directory=checkpoint_dir, keys=keyring_for(session))
        if not report.intact:
            click.echo("The audit trail does not match its checkpoints:", err=True)
            for problem in report.problems:
                click.echo(f"- {problem}", err=True)
            raise SystemExit(1)
        assert report.newest is not None
        summary += (
            f" {report.checked} checkpoints agree with it; the newest, written "
            f"{report.newest.written}, records entry {report.newest.seq}."
        )
    if not result.intact:
        raise SystemExit(1)
    click.echo(summary)


@audit_group.command("checkpoint")
def audit_checkpoint() -> None:
    """Append a signed checkpoint of the chain head (run it from a timer, e.g. hourly);
    exit 1 when it, its timestamp or its copy to syslog could not be written."""
    session = get_session()
    config: Config = current_app.config["MLAT"]
    try:
        written = write_checkpoint(session=session, settings=config.audit,
                                   keys=keyring_for(session), source="command")  # fmt: skip
    except CheckpointError as exc:
        raise click.ClickException(str(exc)) from exc
    report_written(written)


def report_written(written: Written) -> None:
    click.echo(
        f"Checkpoint of entry {written.checkpoint.seq} ({written.checkpoint.hash}) "
        f"written to {written.path}."
    )
    for warning in written.warnings:
        click.echo(warning, err=True)
    if written.warnings:
        raise SystemExit(1)


@audit_group.command("head")
def audit_head() -> None:
    """Print the newest entry's number and hash."""
    seq, digest = head(session=get_session())
    click.echo(f"{seq} {digest}")
