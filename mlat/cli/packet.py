"""``flask --app app packet REFERENCE --out FILE.pdf``: write a request's packet to a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlmodel import select

from mlat.audit_actions import AuditAction
from mlat.db import get_session
from mlat.models import MlaRequest
from mlat.services.audit import record


@click.command("packet")
@click.argument("reference")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="the PDF file to write",
)
@click.option("--internal", is_flag=True, help="the internal copy, with the compliance page")
@with_appcontext
def packet_command(reference: str, out: Path, internal: bool) -> None:
    """Write the packet of the request REFERENCE: the stored one once signed, else a draft."""
    from mlat.services.packets import packet_bytes, stored_packet

    session = get_session()
    request = session.exec(
        select(MlaRequest).where(MlaRequest.reference == reference.strip().upper())
    ).first()
    if request is None:
        raise click.ClickException(f"No request with the reference {reference}.")
    data = packet_bytes(session=session, request=request, internal=internal)
    stored = not internal and stored_packet(session=session, request=request) is not None
    digest = hashlib.sha256(data).hexdigest()
    kind = "internal copy" if internal else ("stored packet" if stored else "draft render")
    record(session=session, action=AuditAction.packet_download, unit_id=request.unit_id,
           object_type="request", object_id=request.id,
           details={"copy": kind, "sha256": digest, "via": "command line"})  # fmt: skip
    out.write_bytes(data)
    session.commit()
    click.echo(f"Wrote the {kind} of {request.reference} to {out} (SHA-256 {digest}).")
