"""``flask --app app keys rotate`` and ``keys status``: the data keys that encrypt stored
files and TOTP secrets (docs/security.md, "Secrets at rest")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import click
from sqlmodel import Session

from mlat.crypto import keyring_for
from mlat.db import get_session
from mlat.services.data_keys import (
    Batch,
    key_use,
    rotate_evidence,
    rotate_files,
    rotate_secrets,
    rotate_webhook_secrets,
)

REFUSALS_SHOWN = 10


@dataclass
class Tally:
    moved: int = 0
    refused: list[str] = field(default_factory=list)


def _in_batches(session: Session, rotate: Callable[..., Batch], size: int,
                only_plain: bool) -> Tally:  # fmt: skip
    """Run ``rotate`` batch after batch, committing each, until no rows are left."""
    tally, after = Tally(), 0
    while True:
        batch = rotate(session=session, after=after, limit=size, only_plain=only_plain)
        session.commit()
        tally.moved += batch.moved
        tally.refused += batch.refused
        if batch.last_id is None:
            return tally
        after = batch.last_id


def reseal(session: Session, *, size: int, only_plain: bool) -> tuple[Tally, Tally]:
    """Stored files, then TOTP secrets, sealed with the current key."""
    return (_in_batches(session, rotate_files, size, only_plain),
            _in_batches(session, rotate_secrets, size, only_plain))  # fmt: skip


def _refusals(tallies: tuple[Tally, ...]) -> int:
    refused = [reason for tally in tallies for reason in tally.refused]
    for reason in refused[:REFUSALS_SHOWN]:
        click.echo(f"  {reason}", err=True)
    if len(refused) > REFUSALS_SHOWN:
        click.echo(f"  … and {len(refused) - REFUSALS_SHOWN} more.", err=True)
    return len(refused)


@click.group("keys")
def keys_group() -> None:
    """The keys that encrypt stored files and two-factor secrets."""


@keys_group.command("rotate")
@click.option("--batch", "size", default=100, show_default=True, type=click.IntRange(1, 10000),
              help="rows read and committed at a time")  # fmt: skip
def rotate_command(size: int) -> None:
    """Seal every stored file, evidence file, two-factor secret and webhook secret with
    the current (first) key."""
    session = get_session()
    current = keyring_for(session).current
    files, secrets = reseal(session, size=size, only_plain=False)
    webhooks = _in_batches(session, rotate_webhook_secrets, size, False)
    evidence = _in_batches(session, rotate_evidence, size, False)
    click.echo(f"Stored files: {files.moved} moved to key {current}.")
    click.echo(f"Evidence files: {evidence.moved} moved to key {current}.")
    click.echo(f"Two-factor secrets: {secrets.moved} moved to key {current}.")
    click.echo(f"Webhook secrets: {webhooks.moved} moved to key {current}.")
    refused = _refusals((files, secrets, webhooks, evidence))
    if refused:
        click.echo(
            f"{refused} could not be opened and still need their old key: keep every "
            "key configured, correct the ones named, and run this again.",
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"Everything is sealed with key {current}; older keys may now be removed.")


def _counts(counts: Counter[str]) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{key_id or 'not encrypted'}: {n}" for key_id, n in sorted(counts.items()))


@keys_group.command("status")
def status_command() -> None:
    """How many stored files and two-factor secrets each key seals; exit 1 when some
    need a key that is not configured, or are not encrypted."""
    session = get_session()
    keyring = keyring_for(session)
    use = key_use(session=session)
    click.echo(f"Current key: {keyring.current} (configured: {', '.join(keyring.keys)})")
    click.echo(f"Stored files: {_counts(use.files)}")
    click.echo(f"Two-factor secrets: {_counts(use.secrets)}")
    click.echo(f"Webhook secrets: {_counts(use.webhook_secrets)}")
    click.echo(f"Evidence files: {_counts(use.evidence)}")
    everything = use.files + use.secrets + use.webhook_secrets + use.evidence
    unusable = sorted(k for k in everything if k not in keyring.keys)
    if unusable:
        names = ", ".join(k or "not encrypted" for k in unusable)
        click.echo(f"Values no configured key opens: {names}. Run `keys rotate`, with the "
                   "old keys configured, to seal them with the current key.", err=True)  # fmt: skip
        raise SystemExit(1)
    old = [k for k in keyring.keys if k != keyring.current and everything[k]]
    if old:
        click.echo(f"Keys still in use besides the current one: {', '.join(old)}. "
                   "Run `keys rotate` before removing them.")  # fmt: skip
