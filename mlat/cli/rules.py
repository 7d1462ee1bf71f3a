"""``flask validate`` and ``flask rules check``."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from pathlib import Path

import click
from pydantic import ValidationError

from mlat.request_format import RequestDocument
from mlat.rules.engine import summary, validate
from mlat.rules.loader import RuleTableError, load_rulebook, rulebook
from mlat.rules.provenance import rule_statuses
from mlat.rules.providers import ProviderFileError, load_providers
from mlat.rules.report import (
    Reliability,
    catalogue_reliability,
    joint_teams_reliability,
    provider_reliability,
    table_reliability,
)


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
@click.option("--all", "show_all", is_flag=True, help="also list every unverified rule")
def rules_check(show_all: bool) -> None:
    """Check every rule table against its schema, and say how far it can be relied on:
    the share of rules verified against a primary source, per state and for the catalogue,
    and the rules that can make the engine report an error without being primary-verified."""
    try:
        book = load_rulebook()
        providers = load_providers()
    except (RuleTableError, ProviderFileError) as exc:
        raise SystemExit(_fail(str(exc))) from None
    today = dt.date.today()
    for _code, table in sorted(book.states.items()):
        _report(table_reliability(table, today))
        if show_all:
            for path, status in rule_statuses(table, today).items():
                if status != "verified":
                    click.echo(f"  {status}: {path}")
    _report(catalogue_reliability(book.instruments, today))
    if book.joint_teams is not None:
        _report(joint_teams_reliability(book.joint_teams, today))
    for _slug, provider in sorted(providers.items()):
        _report(provider_reliability(provider, today))
        if show_all:
            for path, status in rule_statuses(provider, today).items():
                if status != "verified":
                    click.echo(f"  {status}: {path}")
    click.echo(
        f"{len(book.states)} state tables, the catalogue and {len(providers)} providers "
        "match the schema."
    )


def _report(r: Reliability) -> None:
    s = r.statuses
    click.echo(
        f"{r.name}: {r.total} rules, {s['verified']} verified against a primary source "
        f"({r.verified_share:.0%}), {s['secondary']} against a secondary source only, "
        f"{s['stale']} stale, {s['unverified']} unverified"
    )
    if r.weak_error_rules:
        click.echo("  can cause an error, not primary-verified:")
        width = shutil.get_terminal_size((100, 20)).columns - 4
        lines = r.weak_error_rules if r.one_per_line else ["; ".join(r.weak_error_rules)]
        for line in lines:
            click.echo(
                textwrap.fill(line, width, initial_indent="    ", subsequent_indent="      ")
            )
