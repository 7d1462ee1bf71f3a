"""``flask validate`` and ``flask rules check``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from pydantic import ValidationError

from mlat.request_format import RequestDocument
from mlat.rules.engine import summary, validate
from mlat.rules.loader import RuleTableError, load_rulebook, rulebook
from mlat.rules.provenance import rule_statuses


def parse_request(raw: str | bytes) -> RequestDocument:
    """Parse a request in the documented JSON format, or raise ValueError with one line."""
    try:
        return RequestDocument.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ValueError(f"{where}: {first['msg']}{more}") from None


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="check as on this date (default: today)",
)
def validate_command(file: Path, today: dt.datetime | None) -> None:
    """Check a request (JSON, docs/request-format.md) against the rule tables."""
    try:
        request = parse_request(file.read_bytes())
    except OSError as exc:
        raise SystemExit(_fail(f"cannot read {file}: {exc.strerror}")) from None
    except ValueError as exc:
        raise SystemExit(_fail(f"{file} is not a valid request: {exc}")) from None
    findings = validate(request, rulebook(), (today.date() if today else dt.date.today()))
    result = summary(findings)
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    raise SystemExit(1 if result["errors"] else 0)


def _fail(message: str) -> int:
    click.echo(f"error: {message}", err=True)
    return 2


@click.group("rules")
def rules_group() -> None:
    """Rule tables."""


@rules_group.command("check")
def rules_check() -> None:
    """Check every rule table against its schema; list stale and unverified rules."""
    try:
        book = load_rulebook()
    except RuleTableError as exc:
        raise SystemExit(_fail(str(exc))) from None
    today = dt.date.today()
    total_unverified = 0
    for code, table in sorted(book.states.items()):
        statuses = rule_statuses(table, today)
        stale = [p for p, s in statuses.items() if s == "stale"]
        unverified = [p for p, s in statuses.items() if s == "unverified"]
        total_unverified += len(unverified)
        click.echo(
            f"{code} {table.name}: {len(statuses)} rules, "
            f"{len(statuses) - len(stale) - len(unverified)} verified, "
            f"{len(stale)} stale, {len(unverified)} unverified"
        )
        for path in stale:
            click.echo(f"  stale (verified over 12 months ago): {path}")
        for path in unverified:
            click.echo(f"  unverified: {path}")
    instruments = book.instruments.instruments
    click.echo(f"instruments: {len(instruments)} in the catalogue")
    click.echo(f"{len(book.states)} state tables valid; {total_unverified} rules unverified")
