"""The provider directory: its files against the schema and their provenance, and the
pages an officer reads it on."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from mlat.models import Role
from mlat.packets.build import Issuer, Record, packet_values
from mlat.packets.render import packet_html
from mlat.request_format import MeasureKind, RequestDocument
from mlat.rules.addressee import addressee, entity_address
from mlat.rules.citations import provider_citations
from mlat.rules.engine import validate
from mlat.rules.loader import RuleBook, rulebook
from mlat.rules.providers import (
    PROVIDERS_DIR,
    Provider,
    ProviderFileError,
    load_provider_file,
    load_providers,
    provider_for_domain,
    provider_named,
)
from mlat.rules.refs import rule_at
from mlat.rules.routes import Case, advise
from tests.conftest import Client, LoginAs, PageClient, form_errors, rows, text_of, texts

TODAY = dt.date(2026, 12, 6)


def providers() -> list[Provider]:
    return sorted(rulebook().providers.values(), key=lambda p: p.slug)


def test_every_provider_file_matches_the_schema_and_its_name() -> None:
    files = sorted(PROVIDERS_DIR.glob("*.toml"))
    assert files
    for path in files:
        assert load_provider_file(path).slug == path.stem


def test_every_fact_cites_a_source_of_its_file_and_a_verified_fact_says_where() -> None:
    for provider in providers():
        for path, rule in provider.rules():
            assert rule.cite in provider.sources, f"{provider.slug}: {path}"
            if rule.verified_on is not None:
                assert rule.locator.strip(), f"{provider.slug}: {path} says not where"
                assert rule.quote.strip(), f"{provider.slug}: {path} quotes nothing"


def test_each_provider_names_who_answers_for_its_data() -> None:
    for provider in providers():
        assert provider.entities, provider.slug
        assert all(e.name for e in provider.entities), provider.slug


def test_a_file_whose_fact_cites_no_source_of_its_own_is_refused(tmp_path: Path) -> None:
    meta = (PROVIDERS_DIR / "meta.toml").read_text()
    broken = tmp_path / "meta.toml"
    broken.write_text(meta.replace('cite = "meta-le-guidelines"', 'cite = "nowhere"', 1))
    with pytest.raises(ProviderFileError, match="cite 'nowhere' is not in \\[sources\\]"):
        load_provider_file(broken)


def test_a_file_named_otherwise_than_its_slug_is_refused(tmp_path: Path) -> None:
    renamed = tmp_path / "facebook.toml"
    renamed.write_text((PROVIDERS_DIR / "meta.toml").read_text())
    with pytest.raises(ProviderFileError, match="does not match slug meta"):
        load_provider_file(renamed)


def test_one_domain_points_to_one_provider(tmp_path: Path) -> None:
    meta = (PROVIDERS_DIR / "meta.toml").read_text()
    (tmp_path / "meta.toml").write_text(meta)
    (tmp_path / "meta-copy.toml").write_text(meta.replace('slug = "meta"', 'slug = "meta-copy"'))
    with pytest.raises(
        ProviderFileError, match=r"meta\.toml: domain facebook\.com is also meta-copy's"
    ):
        load_providers(tmp_path)


@pytest.mark.parametrize(
    ("domain", "slug"),
    [("facebook.com", "meta"), ("www.facebook.com", "meta"), ("m.Instagram.com.", "meta"),
     ("example.org", None), ("com", None)],
)  # fmt: skip
def test_a_domain_suggests_its_provider(domain: str, slug: str | None) -> None:
    found = provider_for_domain(domain, rulebook().providers)
    assert (found.slug if found else None) == slug


def test_every_fact_can_be_found_again_from_its_address_to_be_reported() -> None:
    for provider in providers():
        for path, cite in provider_citations(provider, TODAY).items():
            found = rule_at(rulebook(), cite.ref)
            assert found is not None and found.path == path, cite.ref
    assert rule_at(rulebook(), "provider:meta:telepathy") is None
    assert rule_at(rulebook(), "provider:nobody:preservation") is None


def test_the_directory_lists_every_provider_with_how_far_it_can_be_relied_on(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/providers/")
    listed = {row[0]: row for row in rows(page)}
    assert set(listed) == {p.name for p in providers()}
    assert "Ireland" in listed["Meta Platforms"][2]  # its European users' entity
    assert all(" facts · " in row[4] and "verified" in row[4] for row in listed.values())


def test_a_provider_page_reads_like_a_fiche_with_the_source_of_each_fact(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/providers/meta")
    assert text_of(page.h1) == "Meta Platforms"
    assert texts(page, "main h2") == [
        "Who answers for the data", "How to ask", "Disclosure to foreign authorities",
        "Emergencies", "Preservation", "How long data is kept", "Identifiers it can search",
        "Languages", "Notice to the user", "Transparency report",
    ]  # fmt: skip
    entities = text_of(page.select_one("#entities"))
    assert (
        "Meta Platforms Ireland Limited" in entities and "users in the European Region" in entities
    )
    # every fact with its source and how far it can be trusted; what is unknown says so
    meta = rulebook().providers["meta"]
    assert len(page.select(".source")) == len(meta.rules())
    assert len(page.select(".source .tag")) == len(meta.rules())
    # what no source gives says so, never a blank
    silent = next(p for p in providers() if p.disclosure.foreign_without_mla is None)
    page = client_request.get(f"/providers/{silent.slug}")
    assert "Unknown: not found in the provider's published guidance" in text_of(
        page.select_one("#disclosure")
    )


def test_an_unknown_provider_is_404(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    assert client.get("/providers/nobody").status_code == 404


def test_compare_puts_every_provider_side_by_side_when_none_is_chosen(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/providers/compare?dimension=preservation")
    assert texts(page, ".compare-table thead th") == sorted(
        (p.name for p in providers()), key=str.casefold
    )
    assert text_of(page.select_one("main h2")) == "Preservation"
    for cell in page.select(".compare-table td"):
        assert cell.select(".source .tag")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("providers=meta&dimension=preservation",
         "Choose two providers or more, or none to see them all."),
        ("providers=meta&providers=meta&dimension=preservation",
         "Choose two providers or more, or none to see them all."),
        ("providers=meta&providers=nobody&dimension=preservation",
         "Choose providers from the list."),
        ("dimension=telepathy", "Choose what to compare from the list."),
        ("providers=meta", "Choose what to compare."),
    ],
)  # fmt: skip
def test_compare_providers_says_what_is_wrong_and_keeps_the_choice(
    client_request: PageClient, login_as: LoginAs, query: str, message: str
) -> None:
    login_as(Role.officer)
    page = client_request.get(f"/providers/compare?{query}")
    assert any(message in e for e in form_errors(page))
    assert page.select(".compare-table") == []
    box = page.select_one("#providers-meta")
    assert box is not None and box.has_attr("checked") == ("providers=meta" in query)


def test_a_provider_fact_can_be_reported_from_its_page(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/providers/meta")
    link = page.select_one("#preservation a.report-rule")
    assert link is not None
    report = client_request.get(str(link["href"]))
    assert "Provider directory: Meta Platforms" in text_of(report.select_one("main"))


# ---------------------------------------------------------------- findings from the directory

EXAMPLE: dict[str, Any] = json.loads(
    (
        Path(__file__).resolve().parent.parent
        / "docs"
        / "examples"
        / "qa-to-us-stored-content.json"
    ).read_text()
)
CHECKED_ON = dt.date(2026, 11, 22)


def fact(**values: Any) -> dict[str, Any]:
    return {"cite": "guide", "locator": "Preservation", "quote": "We keep it.",
            "verified_on": "2026-11-20", **values}  # fmt: skip


def example_provider(**changes: Any) -> Provider:
    """A provider made up for the tests: Mailhost, which holds the example's mailbox."""
    data: dict[str, Any] = {
        "slug": "mailhost",
        "name": "Mailhost",
        "services": ["Mailhost Mail"],
        "domains": ["mailhost.example"],
        "sources": {"guide": {"title": "Mailhost law-enforcement guide",
                              "url": "https://mailhost.example/le", "kind": "primary"}},
        "entities": [fact(name="Mailhost Inc.", state="US")],
        "law_enforcement": fact(portal="https://mailhost.example/le"),
        "disclosure": fact(),
        "emergency": fact(),
        "preservation": fact(available=True, days=90),
        "retention": [fact(category="ip_logs", period="IP logs are kept for 180 days", days=180)],
        "identifiers": [fact(kind="email", format="the full e-mail address")],
        **changes,
    }  # fmt: skip
    return Provider.model_validate(data)


def findings(
    request: dict[str, Any], provider: Provider | None = None, today: dt.date = CHECKED_ON
) -> list[Any]:
    book = rulebook()
    providers = {**book.providers, "mailhost": provider or example_provider()}
    with_mailhost = RuleBook(states=book.states, instruments=book.instruments, providers=providers)
    return validate(RequestDocument.model_validate(request), with_mailhost, today)


def request_with(**changes: Any) -> dict[str, Any]:
    request = copy.deepcopy(EXAMPLE)
    request.update(changes)
    return request


def found(code: str, request: dict[str, Any], provider: Provider | None = None) -> list[Any]:
    return [f for f in findings(request, provider) if f.code == code]


def identifiers(**first: Any) -> list[dict[str, Any]]:
    return [{**EXAMPLE["identifiers"][0], **first}, EXAMPLE["identifiers"][1]]


def test_the_example_names_its_provider_as_the_directory_knows_it() -> None:
    assert provider_named("Mailhost Inc.", {"mailhost": example_provider()}) is not None
    assert provider_named("  mailhost  MAIL ", {"mailhost": example_provider()}) is not None
    assert provider_named("Mailhosting", {"mailhost": example_provider()}) is None


def test_an_address_at_a_providers_domain_suggests_the_provider() -> None:
    (suggested,) = found("provider_suggested", request_with(identifiers=identifiers(provider="")))
    assert suggested.severity == "info" and suggested.field == "identifiers[0].provider"
    assert suggested.message == (
        "mailhost.example is a domain of Mailhost: if the data is held there, give Mailhost as "
        "the provider holding it."
    )
    assert found("provider_suggested", request_with()) == []  # the officer named it
    elsewhere = identifiers(provider="", value="someone@example.org")
    assert found("provider_suggested", request_with(identifiers=elsewhere)) == []


def test_a_provider_that_preserves_on_request_is_named_when_no_preservation_was_asked() -> None:
    unpreserved = request_with(preservation={"requested": False})
    (advice,) = found("provider_preservation", unpreserved)
    assert advice.severity == "warning"
    assert advice.message == (
        "Mailhost preserves data for 90 days on request: ask for the data to be preserved now, "
        "before this request is executed."
    )
    assert advice.citation is not None and advice.citation.ref == "provider:mailhost:preservation"
    assert advice.citation.status == "verified"
    assert found("provider_preservation", request_with()) == []  # preservation was asked for
    silent = example_provider(preservation=fact(available=True))  # no period published
    assert found("provider_preservation", unpreserved, silent) == []


def test_an_identifier_the_provider_cannot_search_is_named_with_the_forms_it_needs() -> None:
    ip_at_mailhost = [EXAMPLE["identifiers"][0], {**EXAMPLE["identifiers"][1]}]
    (advice,) = found("provider_identifier_unsearchable", request_with(identifiers=ip_at_mailhost))
    assert advice.field == "identifiers[1].value"
    assert advice.message == (
        "Mailhost does not say it can search this kind of identifier. It asks for: the full "
        "e-mail address."
    )
    searchable = example_provider(
        identifiers=[fact(kind="email", format="the address"), fact(kind="ip", format="the IP")]
    )
    assert found("provider_identifier_unsearchable", request_with(), searchable) == []
    # a provider that publishes no list of identifiers is not second-guessed
    assert (
        found("provider_identifier_unsearchable", request_with(), example_provider(identifiers=[]))
        == []
    )


def test_data_older_than_the_provider_keeps_it_is_named() -> None:
    (advice,) = found("provider_data_expired", request_with())  # March, asked in November
    assert advice.field == "measures[1].date_from"
    assert advice.message == (
        "The data asked for starts before the period Mailhost says it keeps it: IP logs are kept "
        "for 180 days. What is older may no longer exist."
    )
    longer = example_provider(retention=[fact(category="ip_logs", period="a year", days=365)])
    assert found("provider_data_expired", request_with(), longer) == []


def test_data_the_provider_gives_foreign_authorities_directly_is_named() -> None:
    subscriber = [{"kind": "subscriber_info", "identifiers": [0], "date_from": "2026-11-01",
                   "date_to": "2026-11-15"}]  # fmt: skip
    direct = example_provider(
        disclosure=fact(foreign_without_mla="subscriber", from_states=["GB", "QA"],
                        conditions="a request on the authority's letterhead")
    )  # fmt: skip
    (advice,) = found("provider_discloses_directly", request_with(measures=subscriber), direct)
    assert advice.severity == "info"
    assert advice.message.endswith("Its conditions: a request on the authority's letterhead")
    # not to the authorities of other states, nor for data it does not give that way
    elsewhere = request_with(measures=subscriber, requesting_state="NG")
    assert found("provider_discloses_directly", elsewhere, direct) == []
    assert found("provider_discloses_directly", request_with(), direct) == []  # content, logs
    assert found("provider_discloses_directly", request_with(measures=subscriber)) == []


def test_a_finding_on_an_unverified_provider_fact_says_so() -> None:
    unread = example_provider(preservation={"cite": "guide", "available": True, "days": 90})
    (advice,) = found(
        "provider_preservation", request_with(preservation={"requested": False}), unread
    )
    assert advice.citation is not None and advice.citation.status == "unverified"


# ---------------------------------------------------------------- the route advisor


def advice_for(provider: Provider, **case: Any) -> Any:
    book = rulebook()
    with_it = RuleBook(states=book.states, instruments=book.instruments,
                       providers={**book.providers, provider.slug: provider})  # fmt: skip
    values: dict[str, Any] = {"requesting": "GB", "requested": "US",
                              "measures": frozenset({MeasureKind.subscriber_info}),
                              "providers": frozenset({"Mailhost Inc."}), **case}  # fmt: skip
    (found,) = advise(with_it, Case(**values), CHECKED_ON).providers
    return found


def test_the_advisor_says_when_the_provider_answers_the_requesting_state_directly() -> None:
    direct = example_provider(
        disclosure=fact(foreign_without_mla="subscriber", from_states=["GB"]),
        emergency=fact(available=True, criteria="a risk of death or serious injury"),
    )
    found = advice_for(direct)
    assert found.provider.slug == "mailhost"
    assert found.direct is not None and found.direct[0] == "subscriber"
    assert found.direct[1].ref == "provider:mailhost:disclosure"
    assert found.emergency is None  # not an emergency
    assert [(e.name, e.state) for e, _cite in found.entities] == [("Mailhost Inc.", "US")]
    assert advice_for(direct, requesting="NG").direct is None  # not from that state
    assert advice_for(direct, measures=frozenset({MeasureKind.stored_content})).direct is None
    urgent = advice_for(direct, emergency=True, urgent=True)
    assert urgent.emergency is not None and urgent.emergency.ref == "provider:mailhost:emergency"


def test_the_advisor_knows_nothing_of_a_provider_not_in_the_directory() -> None:
    book = rulebook()
    case = Case(requesting="GB", requested="US", providers=frozenset({"Nobody Ltd"}),
                measures=frozenset({MeasureKind.subscriber_info}))  # fmt: skip
    assert advise(book, case, CHECKED_ON).providers == ()


def test_the_route_advisor_page_names_the_providers_entities_and_a_direct_request(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    viber = rulebook().providers["viber"]
    assert viber.disclosure.from_states  # it answers the authorities of some states only
    inside = sorted(viber.disclosure.from_states)[0]
    query = "requested=LU&measure=traffic_data&provider=viber&requesting="
    page = client_request.get(f"/rules/routes?{query}{inside}")
    section = text_of(page.select_one(".provider-advice"))
    assert "Ask it directly" in section
    assert viber.entities[0].name in section
    outside = next(code for code in ("QA", "NG", "IN") if code not in viber.disclosure.from_states)
    page = client_request.get(f"/rules/routes?{query}{outside}")
    assert "Ask it directly" not in text_of(page.select_one(".provider-advice"))


# ---------------------------------------------------------------- a request sent to a provider


def test_a_request_sent_straight_to_a_provider_is_addressed_to_its_entity_and_portal() -> None:
    to_mailhost = RequestDocument.model_validate(
        request_with(channel="direct_provider", addressee={})
    )
    found = addressee(to_mailhost, rulebook().state("US"), {"mailhost": example_provider()})
    assert (found.role, found.name, found.url) == (
        "provider", "Mailhost Inc.", "https://mailhost.example/le"
    )  # fmt: skip
    assert found.missing() == ()
    # sent another way, it goes to the central authority as before
    by_mla = RequestDocument.model_validate(request_with(addressee={}))
    assert addressee(by_mla, rulebook().state("US"), {"mailhost": example_provider()}).role == (
        "central_authority"
    )


def test_a_provider_the_directory_gives_no_way_to_reach_must_be_given_under_addressee() -> None:
    unreachable = example_provider(law_enforcement=fact())
    request = request_with(channel="direct_provider", addressee={})
    (gap,) = found("addressee_unknown", request, unreachable)
    assert "no law-enforcement portal, e-mail or postal address" in gap.message
    given = request_with(channel="direct_provider", addressee={"email": "le@mailhost.example"})
    assert found("addressee_unknown", given, unreachable) == []


def packet_of(request: dict[str, Any]) -> Any:
    return packet_values(
        RequestDocument.model_validate(request),
        record=Record("DOH-2026-0001", "Phishing", "draft", None, None),
        issuer=Issuer("Cybercrime Unit, Doha", "QA", "Asia/Qatar"),
        book=rulebook(),
        now=dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC),
    )


def straight_to_meta() -> dict[str, Any]:
    """The example, sent straight to Meta in Ireland."""
    return request_with(
        channel="direct_provider",
        requested_state="IE",
        addressee={},
        identifiers=identifiers(provider="Meta Platforms"),
    )


def test_a_packet_sent_to_a_provider_names_it_and_its_portal() -> None:
    meta = rulebook().providers["meta"]
    packet = packet_of(straight_to_meta())
    entity = next(e for e in meta.entities if e.state == "IE")
    assert packet.receiving.role == "provider" and packet.receiving.name == entity.name
    html = packet_html(packet, internal=False, annex_pages={}).replace("\u200b", "")
    assert "Service provider" in html and entity.name in html
    if meta.law_enforcement.portal:
        assert meta.law_enforcement.portal in html


def test_the_internal_copy_lists_the_providers_own_requirements_with_their_sources() -> None:
    meta = rulebook().providers["meta"]
    packet = packet_of(straight_to_meta())
    assert packet.handling_provider == "Meta Platforms"
    assert [i.text for i in packet.handling if i.topic == "identifiers"] == [
        s.format for s in meta.identifiers
    ]
    internal = packet_html(packet, internal=True, annex_pages={})
    assert "Handling instructions: what Meta Platforms asks for" in internal
    assert meta.identifiers[0].format.replace("&", "&amp;") in internal.replace("\u200b", "")
    external = packet_html(packet, internal=False, annex_pages={})
    assert "Handling instructions" not in external
    # a request through the central authority has none
    by_mla = request_with(identifiers=identifiers(provider="Meta Platforms"))
    assert packet_of(by_mla).handling == ()


@pytest.mark.parametrize(
    ("entity", "address"),
    [
        ("Mailhost Europe Limited", "Mailhost Europe Ltd., 1 Quay Street, Dublin 2, Ireland"),
        ("Mailhost Inc.", "Mailhost Inc., Attn: Legal, 1 Main Street, Austin, TX 78701, USA"),
        ("Mailhost Asia Pte", "EU requests: Mailhost Europe Ltd., 1 Quay Street, Dublin 2, Ireland "
         "(EU users); Mailhost Inc., Attn: Legal, 1 Main Street, Austin, TX 78701, USA"),
    ],
)  # fmt: skip
def test_each_entity_is_sent_its_own_address_for_legal_process(entity: str, address: str) -> None:
    both = ("EU requests: Mailhost Europe Ltd., 1 Quay Street, Dublin 2, Ireland (EU users); "
            "Mailhost Inc., Attn: Legal, 1 Main Street, Austin, TX 78701, USA")  # fmt: skip
    assert entity_address(entity, both) == address
    assert entity_address(entity, "1 Main Street, Austin") == "1 Main Street, Austin"


def test_stored_content_asked_of_a_provider_that_produces_none_is_an_error() -> None:
    sealed = example_provider(disclosure=fact(produces_content=False))
    (error,) = found("provider_no_content", request_with(), sealed)  # the mailbox's content
    assert error.severity == "error" and error.field == "measures[0]"
    assert error.message.startswith("Mailhost says it does not produce the content")
    assert found("provider_no_content", request_with()) == []  # it does not say so
    logs_only = request_with(measures=[EXAMPLE["measures"][1]])
    assert found("provider_no_content", logs_only, sealed) == []
    # read in a copy only, it is a warning to confirm, not an error
    copied = example_provider(
        sources={"guide": {"title": "A guide to Mailhost", "url": "https://guides.example/m",
                           "kind": "secondary"}},
        disclosure=fact(produces_content=False),
    )  # fmt: skip
    (warning,) = found("provider_no_content", request_with(), copied)
    assert warning.severity == "warning" and warning.unconfirmed
