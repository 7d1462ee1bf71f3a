"""The API's read-only rule tables, treaty catalogue and provider directory, as their
schemas define them (``mlat.rules.schema``, ``mlat.rules.providers``)."""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.wrappers import Response

from mlat.countries import state_name
from mlat.i18n import current_language
from mlat.messages import N_
from mlat.rules.loader import rulebook
from mlat.rules.providers import Provider
from mlat.rules.schema import Instrument, StateTable
from mlat.views.api.core import Answer, ProblemError, link, operation, respond
from mlat.views.api.schemas import (
    InstrumentList,
    InstrumentSummary,
    ProviderList,
    ProviderSummary,
    StateList,
    StateSummary,
)


@operation(
    "/states",
    "GET",
    tag="rules",
    scope="read",
    summary=N_("The states with a rule table"),
    answers=[Answer(200, "The states", StateList)],
)
def list_states() -> Response:
    language = current_language()
    tables = sorted(rulebook().states.values(), key=lambda t: t.state)
    return respond(
        StateList(
            states=[
                StateSummary(
                    state=t.state,
                    name=state_name(t.state, language),
                    region=t.region,
                    url=link("get_state", code=t.state),
                )
                for t in tables
            ]
        )
    )


@operation(
    "/states/<code>",
    "GET",
    tag="rules",
    scope="read",
    summary=N_("A state's rule table"),
    description=N_("Every rule, each with its source, the source's kind and when it was checked."),
    answers=[Answer(200, "The rule table", StateTable)],
)
def get_state(code: str) -> Response:
    table = rulebook().state(code) if len(code) == 2 else None
    if table is None:
        raise ProblemError("not-found", _("There is no rule table for this state."))
    return respond(table)


@operation(
    "/instruments",
    "GET",
    tag="rules",
    scope="read",
    summary=N_("The catalogue of legal bases"),
    answers=[Answer(200, "The instruments", InstrumentList)],
)
def list_instruments() -> Response:
    catalogue = rulebook().instruments.instruments
    return respond(
        InstrumentList(
            instruments=[
                InstrumentSummary(id=slug, name=i.name, kind=str(i.kind))
                for slug, i in sorted(catalogue.items())
            ]
        )
    )


@operation(
    "/instruments/<slug>",
    "GET",
    tag="rules",
    scope="read",
    summary=N_("A legal basis of the catalogue"),
    description=N_("Its parties, declarations and scope, each with its source."),
    answers=[Answer(200, "The instrument", Instrument)],
)
def get_instrument(slug: str) -> Response:
    found = rulebook().instruments.instruments.get(slug)
    if found is None:
        raise ProblemError("not-found", _("There is no such instrument in the catalogue."))
    return respond(found)


@operation(
    "/providers",
    "GET",
    tag="providers",
    scope="read",
    summary=N_("The provider directory"),
    answers=[Answer(200, "The providers", ProviderList)],
)
def list_providers() -> Response:
    providers = sorted(rulebook().providers.values(), key=lambda p: p.name.casefold())
    return respond(
        ProviderList(
            providers=[
                ProviderSummary(
                    slug=p.slug,
                    name=p.name,
                    services=list(p.services),
                    url=link("get_provider", slug=p.slug),
                )
                for p in providers
            ]
        )
    )


@operation(
    "/providers/<slug>",
    "GET",
    tag="providers",
    scope="read",
    summary=N_("A provider of the directory"),
    description=N_(
        "Its entities, law-enforcement contact, disclosure, emergency, preservation "
        "and retention, each fact with its source."
    ),
    answers=[Answer(200, "The provider", Provider)],
)
def get_provider(slug: str) -> Response:
    found = rulebook().providers.get(slug)
    if found is None:
        raise ProblemError("not-found", _("There is no such provider in the directory."))
    return respond(found)
