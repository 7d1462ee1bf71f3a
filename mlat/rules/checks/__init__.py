"""The checks the engine runs: one small function per reason requests come back from
the requested state (docs/rules.md lists them). Each yields findings; none has side
effects."""

from __future__ import annotations

from mlat.rules.checks.basis import (
    check_channel,
    check_faster_routes,
    check_language,
    check_legal_basis,
    check_state,
)
from mlat.rules.checks.breadth import check_breadth, check_impossible_dates
from mlat.rules.checks.content import (
    check_assurances,
    check_contacts,
    check_de_minimis,
    check_facts_and_nexus,
    check_formalities,
    check_identifiers,
    check_offences,
)
from mlat.rules.checks.document import check_addressee, check_document
from mlat.rules.checks.measures import check_dual_criminality, check_measures
from mlat.rules.checks.providers import (
    check_provider_content,
    check_provider_disclosure,
    check_provider_identifiers,
    check_provider_preservation,
    check_provider_retention,
    check_provider_suggested,
)
from mlat.rules.checks.scope import check_scope
from mlat.rules.checks.timing import check_preservation, check_urgency
from mlat.rules.findings import Check

ALL_CHECKS: list[Check] = [
    check_state,
    check_legal_basis,
    check_scope,
    check_channel,
    check_language,
    check_facts_and_nexus,
    check_offences,
    check_identifiers,
    check_measures,
    check_breadth,
    check_impossible_dates,
    check_dual_criminality,
    check_urgency,
    check_preservation,
    check_assurances,
    check_contacts,
    check_addressee,
    check_document,
    check_formalities,
    check_de_minimis,
    check_faster_routes,
    check_provider_suggested,
    check_provider_preservation,
    check_provider_identifiers,
    check_provider_retention,
    check_provider_content,
    check_provider_disclosure,
]
