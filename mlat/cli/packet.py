"""``flask --app app packet write REFERENCE --out FILE.pdf``: write a request's packet to a
file; ``flask --app app packet verify FILE.pdf``: say whether a PDF is exactly a packet
this installation signed, who signed it and when."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from mlat.audit_actions import AuditAction
from mlat.db import get_session
from mlat.models import MlaRequest
from mlat.services import ServiceError
from mlat.services.audit import record
from mlat.services.signing import Verification


@click.group("packet")
def packet_group() -> None:
    """Write a request's packet, or check a packet's signature."""


@packet_group.command("write")
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
def write_command(reference: str, out: Path, internal: bool) -> None:
    """Write the packet of the request REFERENCE: the stored one once signed, else a draft."""
    from mlat.services.packets import packet_bytes, stored_packet
    from mlat.services.signing import signing_keys

    session = get_session()
    request = session.exec(
        select(MlaRequest).where(MlaRequest.reference == reference.strip().upper())
    ).first()
    if request is None:
        raise click.ClickException(f"No request with the reference {reference}.")
    keys = signing_keys(current_app.config["MLAT"])
    try:
        data = packet_bytes(session=session, request=request, keys=keys, internal=internal)
    except ServiceError as exc:
        raise click.ClickException(exc.translated(_plain)) from exc
    stored = not internal and stored_packet(session=session, request=request) is not None
    digest = hashlib.sha256(data).hexdigest()
    kind = "internal copy" if internal else ("stored packet" if stored else "draft render")
    record(session=session, action=AuditAction.packet_download, unit_id=request.unit_id,
           object_type="request", object_id=request.id,
           details={"copy": kind, "sha256": digest, "via": "command line"})  # fmt: skip
    out.write_bytes(data)
    session.commit()
    click.echo(f"Wrote the {kind} of {request.reference} to {out} (SHA-256 {digest}).")


@packet_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_command(file: Path) -> None:
    """Say whether FILE is exactly a packet signed here; exit 1 if it is not."""
    from mlat.services.signing import signing_keys, verify_packet

    session = get_session()
    found = verify_packet(session=session, data=file.read_bytes(),
                          keys=signing_keys(current_app.config["MLAT"]))  # fmt: skip
    for line in verdict_lines(found):
        click.echo(line)
    if not found.genuine:
        raise SystemExit(1)


def verdict_lines(found: Verification) -> list[str]:
    check = found.check
    if not check.signed:
        return ["Not signed: the file carries no digital signature."]
    lines = [
        "Signature intact: " + ("yes" if check.intact else "NO, the signed bytes were changed"),
        "Covers the whole file: "
        + ("yes" if check.whole else "NO, something was added after signing"),
        "Certificate trusted: " + ("yes" if check.trusted else "NO"),
        f"Signed by: {found.signer.name if found.signer else check.signer}",
    ]
    if check.signed_at is not None:
        lines.append(f"Signed at: {check.signed_at:%Y-%m-%d %H:%M} UTC")
    if found.request is not None:
        lines.append(f"Packet of request {found.request.reference}, as stored here.")
    else:
        lines.append("Not a packet stored here: no signed packet has exactly these bytes.")
    lines.append("Genuine: yes" if found.genuine else "Genuine: NO")
    return lines


def _plain(message: str, **params: object) -> str:
    return message % params if params else message
