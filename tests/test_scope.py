"""The scope of the instrument a request relies on, kept as data in the catalogue: the
engine warns when the offences or measures fall outside it, citing the article."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from mlat.rules.findings import Finding
from mlat.rules.loader import rulebook
from mlat.rules.schema import InstrumentCatalogue, Scope
from tests.test_engine import BASE, book_with, changed, codes, run

SCOPE_CODES = {
    "scope_penalty_below",
    "scope_transnational_organised",
    "scope_no_electronic_evidence",
    "scope_not_computer_related",
    "scope_not_corruption",
    "scope_convention_offences",
}
ORGANISED_FACTS = (
    "The payments were sent to an account in Hong Kong, in another state, by an organised "
    "criminal group of at least five persons."
)


def scope_findings(request: dict[str, Any], **book: Any) -> list[Finding]:
    return [f for f in run(request, **book) if f.code in SCOPE_CODES]


def catalogue_with_scope(slug: str, **fields: Any) -> InstrumentCatalogue:
    """The packaged catalogue, with the instrument ``slug`` given the scope ``fields``."""
    catalogue = rulebook().instruments
    source = next(iter(catalogue.sources))
    scope = Scope(summary="What it covers.", article="Art. 9", cite=source, **fields)
    instrument = catalogue.instruments[slug].model_copy(update={"scope": scope})
    return catalogue.model_copy(update={"instruments": {**catalogue.instruments, slug: instrument}})


def test_untoc_for_offences_under_four_years_is_flagged_with_the_article() -> None:
    # The example relies on UNTOC for a fraud punishable by at most 3 years.
    [finding] = [f for f in scope_findings(BASE) if f.code == "scope_penalty_below"]
    assert finding.severity == "warning"
    assert "covers serious crime, punishable by at least 4 years (Art. 2(b)" in finding.message
    assert "at most 3 years" in finding.message
    assert finding.citation is not None
    assert finding.citation.locator == "Art. 2(b)"
    assert finding.citation.quote.startswith("“Serious crime” shall mean")
    # read in a copy of the text, not in the depositary's: the officer is told so
    assert finding.citation.status == "secondary"


@pytest.mark.parametrize(
    ("penalties", "flagged"),
    [([3], True), ([3, 2.5], True), ([4], False), ([3, 10], False), ([3, None], False)],
)
def test_the_penalty_warning_needs_every_offence_under_the_minimum(
    penalties: list[float | None], flagged: bool
) -> None:
    offence = BASE["offences"][0]
    request = changed(offences=[{**offence, "max_penalty_years": p} for p in penalties])(BASE)
    assert ("scope_penalty_below" in codes(scope_findings(request))) is flagged


def test_untoc_reminds_to_state_the_transnational_and_organised_group_elements() -> None:
    [reminder] = [f for f in scope_findings(BASE) if f.code == "scope_transnational_organised"]
    assert reminder.severity == "info"
    assert reminder.field == "facts"
    assert "transnational in nature and involves an organised criminal group" in reminder.message
    stated = changed(facts=BASE["facts"] + " " + ORGANISED_FACTS)(BASE)
    assert "scope_transnational_organised" not in codes(scope_findings(stated))


def test_budapest_fits_any_offence_when_electronic_evidence_is_sought() -> None:
    request = changed(legal_basis="budapest", requesting_state="GB")(BASE)
    assert request["measures"][0]["kind"] == "stored_content"
    assert scope_findings(request) == []


def test_budapest_without_electronic_evidence_for_an_offline_offence_is_flagged() -> None:
    offline = changed(
        legal_basis="budapest",
        requesting_state="GB",
        offences__0__name="Theft of a car",
        offences__0__citation="Theft Act 1968, s. 1",
        offences__0__equivalent_offence="",
        measures=[{"kind": "witness_statement", "details": "Ask the owner about the car."}],
    )(BASE)
    [finding] = scope_findings(offline)
    assert finding.code == "scope_no_electronic_evidence"
    assert finding.severity == "warning"
    assert "Art. 25(1)" in finding.message


def test_corruption_scope_reminds_to_confirm_a_non_corruption_offence() -> None:
    book = book_with(instruments=catalogue_with_scope("untoc", offences="corruption"))
    [finding] = scope_findings(BASE, book=book)
    assert finding.code == "scope_not_corruption"
    assert finding.severity == "warning"
    assert "confirm that the offence is one established under the convention" in (finding.message)
    assert "(Art. 9)" in finding.message
    bribery = changed(offences__0__name="Bribery of a public official")(BASE)
    assert scope_findings(bribery, book=book) == []


def test_convention_offences_scope_is_a_reminder() -> None:
    book = book_with(instruments=catalogue_with_scope("untoc", offences="convention_offences"))
    [finding] = scope_findings(BASE, book=book)
    assert (finding.code, finding.severity) == ("scope_convention_offences", "info")


def test_computer_related_scope_flags_an_offline_offence_only() -> None:
    book = book_with(instruments=catalogue_with_scope("untoc", offences="computer_related"))
    assert scope_findings(BASE, book=book) == []  # fraud by means of an information system
    offline = changed(
        offences__0__name="Theft",
        offences__0__citation="Penal Code, art. 334",
        offences__0__equivalent_offence="Theft",
    )(BASE)
    assert codes(scope_findings(offline, book=book)) == {"scope_not_computer_related"}


def test_an_instrument_without_scope_raises_no_scope_finding() -> None:
    catalogue = rulebook().instruments
    untoc = catalogue.instruments["untoc"].model_copy(update={"scope": None})
    bare = catalogue.model_copy(update={"instruments": {**catalogue.instruments, "untoc": untoc}})
    assert scope_findings(BASE, book=book_with(instruments=bare)) == []


def test_a_scope_citing_an_unknown_source_is_refused() -> None:
    data: dict[str, Any] = {
        "sources": {"s": {"title": "A source", "url": "https://example.org/", "kind": "primary"}},
        "instruments": {
            "x": {
                "name": "X",
                "kind": "multilateral",
                "cite": "s",
                "scope": {"summary": "Anything.", "cite": "nowhere"},
            }
        },
    }
    with pytest.raises(ValidationError, match="cite 'nowhere' is not in"):
        InstrumentCatalogue.model_validate(data)


def test_a_scope_quote_longer_than_thirty_words_is_refused() -> None:
    with pytest.raises(ValidationError, match="at most 30 words"):
        Scope(summary="Anything.", cite="s", quote="word " * 31)


def test_every_quoted_scope_in_the_catalogue_was_read_from_its_source() -> None:
    scopes = {s: i.scope for s, i in rulebook().instruments.instruments.items() if i.scope}
    assert scopes["untoc"].verified_on == scopes["budapest"].verified_on == dt.date(2026, 12, 5)
    assert scopes["uncac"].verified_on is None  # its offences field was not read in the text
    for slug, scope in scopes.items():
        assert scope.article or scope.locator, slug
        if scope.quote:  # a quote can only come from a source someone read; when the
            # scope is still unverified, its note says why
            assert scope.verified_on is not None or "unverified" in scope.note, slug


def test_an_offence_outside_the_scope_is_flagged_on_the_legal_basis_with_the_article() -> None:
    offence = BASE["offences"][0]
    request = changed(offences=[{**offence, "max_penalty_years": 2}])(BASE)
    (found,) = [f for f in scope_findings(request) if f.code == "scope_penalty_below"]
    assert found.field == "legal_basis"
    assert "Art. 2(b)" in found.message  # UNTOC's definition of serious crime
