"""The provider directory, read-only: per provider a page of what an officer needs to ask
it for data, and providers side by side on one point."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from forms.rules import CompareProvidersForm
from mlat.auth import the_user
from mlat.dates import local_today
from mlat.rules.citations import provider_citations
from mlat.rules.loader import rulebook
from mlat.rules.provenance import rule_statuses
from mlat.rules.providers import Provider

bp = Blueprint("providers", __name__, url_prefix="/providers")

# What the comparison can put side by side, in the order of a provider's page.
DIMENSIONS = ("entities", "law_enforcement", "disclosure", "emergency", "preservation",
              "retention", "identifiers", "languages", "notification", "transparency")  # fmt: skip


@bp.app_template_global()
def provider_name(slug: str) -> str:
    provider = rulebook().providers.get(slug)
    return provider.name if provider else slug


@bp.app_template_global()
def provider_names() -> list[str]:
    """The directory's providers, for the wizard to offer as an identifier's provider."""
    return [p.name for p in _by_name()]


def _by_name() -> list[Provider]:
    return sorted(rulebook().providers.values(), key=lambda p: p.name.casefold())


@bp.get("/")
def index() -> str:
    today = local_today(the_user().unit)
    summaries = []
    for provider in _by_name():
        statuses = list(rule_statuses(provider, today).values())
        summaries.append(
            {
                "provider": provider,
                "facts": len(statuses),
                "verified": statuses.count("verified"),
                "unverified": statuses.count("unverified"),
                "secondary": statuses.count("secondary"),
                "stale": statuses.count("stale"),
            }
        )
    return render_template("providers/index.html", summaries=summaries)


@bp.get("/<slug>")
def provider(slug: str) -> str:
    found = rulebook().providers.get(slug)
    if found is None:
        abort(404)
    today = local_today(the_user().unit)
    return render_template(
        "providers/provider.html",
        provider=found,
        cites=provider_citations(found, today),
        dimensions=DIMENSIONS,
    )


@bp.get("/compare")
def compare() -> str:
    """Two or more providers side by side on one point of their files."""
    providers = _by_name()
    form = CompareProvidersForm(request.args)
    form.providers.choices = [(p.slug, p.name) for p in providers]
    form.dimension.choices = [(key, key) for key in DIMENSIONS]
    rows = []
    if request.args and form.validate():
        chosen = set(form.providers.data or []) or {p.slug for p in providers}
        today = local_today(the_user().unit)
        rows = [(p, provider_citations(p, today)) for p in providers if p.slug in chosen]
    return render_template("providers/compare.html", form=form, rows=rows, dimensions=DIMENSIONS)
