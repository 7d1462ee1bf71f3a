"""``flask --app app evidence ...``: the evidence files received (docs/evidence.md).

``evidence verify BUNDLE --trust CERT`` checks a bundle with nothing but the bundle and
the certificate its recipient trusts: it opens no database, so it runs anywhere the app
is installed."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from mlat.db import get_session
from mlat.models import utcnow
from mlat.packets.bundle import certificates_of, check_bundle
from mlat.services.evidence_keeping import sweep_store
from mlat.services.evidence_uploads import sweep_uploads


@click.group("evidence")
def evidence_group() -> None:
    """The evidence files received and kept."""


@evidence_group.command("sweep-uploads")
@click.option("--hours", default=48, show_default=True, type=click.IntRange(min=1),
              help="remove the uploads nobody touched for this long")  # fmt: skip
def sweep_uploads_command(hours: int) -> None:
    """Remove the uploads sent in chunks that were left unfinished, or whole but never
    recorded, with their staging files (run daily)."""
    session = get_session()
    swept = sweep_uploads(session=session, store=current_app.extensions["mlat_evidence"],
                          older_than=dt.timedelta(hours=hours))  # fmt: skip
    session.commit()
    click.echo(f"Removed {swept.uploads} uploads not touched for {hours} hours, and "
               f"{swept.orphans} staging files that no upload named.")  # fmt: skip


@evidence_group.command("sweep-store")
@click.option("--hours", default=48, show_default=True, type=click.IntRange(min=1),
              help="leave alone what was written less than this long ago")  # fmt: skip
@with_appcontext
def sweep_store_command(hours: int) -> None:
    """Remove the store's objects that no record names: a file kept for a receipt that
    was then refused, or the content of a destroyed item whose removal failed."""
    removed = sweep_store(session=get_session(), store=current_app.extensions["mlat_evidence"],
                          older_than=dt.timedelta(hours=hours), now=utcnow())  # fmt: skip
    click.echo(f"Removed {len(removed)} objects that no record names.")


@evidence_group.command("verify")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--trust", "trusted", multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A certificate you trust (PEM or DER): the sending unit's seal or its authority. "
         "Repeat for several.",
)  # fmt: skip
def verify_command(bundle: Path, trusted: tuple[Path, ...]) -> None:
    """Check the evidence BUNDLE: the manifest's signature, every file's SHA-256, and
    that the custody log records each evidence file's. Exits with 0 when all holds and
    the signature's certificate leads to one given with --trust, 1 otherwise."""
    trust: list[bytes] = []
    for path in trusted:
        try:
            trust += certificates_of(path.read_bytes())
        except ValueError as exc:
            raise click.ClickException(f"{path} is not a PEM or DER certificate.") from exc
    # pyHanko logs why a path to a trusted certificate was not found; the result says it
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    with bundle.open("rb") as source:
        found = check_bundle(source, tuple(trust))
    if found.signer:
        click.echo(f"Signed by: {found.signer}")
    if found.signed_at:
        click.echo(f"Signed at: {found.signed_at.isoformat(timespec='seconds')}")
    for checked in found.files:
        mark = "ok     " if checked.ok else "CHANGED"
        click.echo(f"{mark} {checked.sha256}  {checked.size:>12}  {checked.name}")
    for problem in found.problems:
        click.echo(f"Problem: {problem.words()}", err=True)
    if not found.valid:
        raise SystemExit(1)
    click.echo(
        f"The bundle is intact: its {len(found.files)} files are those of the manifest, "
        "signed with a trusted certificate."
    )
